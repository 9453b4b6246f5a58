import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/config.ts';
import { checkLimitOverrides, defaultLimits } from '../../src/limits/app-limits.ts';
import { effectiveLimits } from '../../src/protocol/app-settings.ts';
import { XPushError } from '../../src/errors.ts';

test('config: the new limits default to off (0) and must be whole numbers >= 0', () => {
  const c = resolveConfig({});
  const d = defaultLimits(c);
  assert.deepEqual(
    [d.maxConnectionsPerUser, d.maxConnectionsPerApp, d.connectsPerIpPerMinute, d.publishesPerUserPerSecond, d.publishesPerChannelPerSecond, d.maxMembersPerChannel, d.maxPresenceSize],
    [0, 0, 0, 0, 0, 0, 0],
  );
  assert.deepEqual([d.maxMessageBytes, d.maxChannelsPerConnection], [65_536, 128]);
  for (const bad of [-1, 1.5, Number.NaN]) {
    assert.throws(() => resolveConfig({ maxConnectionsPerUser: bad }), /maxConnectionsPerUser must be an integer >= 0/);
  }
});

test('effective limits: an override wins, null or absent keeps the default', () => {
  const d = defaultLimits(resolveConfig({ maxConnectionsPerUser: 9 }));
  const e = effectiveLimits(d, { maxConnectionsPerUser: null, maxPresenceSize: 4 });
  assert.equal(e.maxConnectionsPerUser, 9);
  assert.equal(e.maxPresenceSize, 4);
  assert.equal(e.maxMessageBytes, d.maxMessageBytes);
});

test('overrides no server could honour are refused with 107', () => {
  const c = resolveConfig({});
  const refuses = (o: object) => assert.throws(() => checkLimitOverrides(c, o), (e: unknown) => e instanceof XPushError && e.code === 107);
  refuses({ maxMessageBytes: 0 });
  refuses({ maxChannelsPerConnection: 0 });
  refuses({ maxMessageBytes: c.maxFrameBytes });
  checkLimitOverrides(c, { maxMessageBytes: c.maxFrameBytes - 4096, maxConnectionsPerUser: 0, maxChannelsPerConnection: null });
});
