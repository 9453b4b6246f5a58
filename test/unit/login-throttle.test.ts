import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipBucket } from '../../src/domain/login-throttle.ts';
import { resolveConfig } from '../../src/config.ts';

test('ipBucket: IPv4 as is, IPv4-mapped as IPv4, IPv6 by its /64', () => {
  assert.equal(ipBucket('203.0.113.9'), '203.0.113.9');
  assert.equal(ipBucket('::ffff:203.0.113.9'), '203.0.113.9');
  assert.equal(ipBucket('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(ipBucket('2001:db8:1:2::99'), '2001:db8:1:2::/64', 'same /64, other host');
  assert.equal(ipBucket('2001:DB8:0001:0002::1'), '2001:db8:1:2::/64', 'case and leading zeros do not matter');
  assert.equal(ipBucket('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(ipBucket('::1'), '0:0:0:0::/64');
  assert.equal(ipBucket('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(ipBucket('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
  assert.equal(ipBucket('unknown'), 'unknown');
});

test('config.loginThrottle: partial input merges with the defaults; bad values throw naming the field; false turns it off', () => {
  const c = resolveConfig({ loginThrottle: { userIpFailures: 3 } });
  assert.deepEqual(c.loginThrottle, { userIpFailures: 3, ipFailures: 50, windowMs: 900_000, blockMs: 30_000, maxBlockMs: 300_000 });
  assert.equal(resolveConfig({ loginThrottle: false }).loginThrottle, false);
  assert.throws(() => resolveConfig({ loginThrottle: { ipFailures: 0 } }), /loginThrottle\.ipFailures/);
  assert.throws(() => resolveConfig({ loginThrottle: { blockMs: 10_000, maxBlockMs: 5000 } }), /maxBlockMs/);
  assert.throws(() => resolveConfig({ refreshReuseGraceMs: -1 }), /refreshReuseGraceMs/);
});
