import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Static } from 'typebox';
import { OUT, generate } from '../../scripts/protocol-types.ts';
import type * as G from '../../src/protocol/types.generated.ts';
import type { RPC, RpcMethod } from '../../src/protocol/rpc.ts';
import type * as R from '../../src/protocol/results.ts';
import type * as H from '../../src/protocol/http.ts';
import type * as P from '../../src/protocol/push.ts';
import type * as F from '../../src/protocol/files.ts';

test('src/protocol/types.generated.ts is what the schemas generate (run `npm run docs`)', () => {
  assert.equal(fs.readFileSync(OUT, 'utf8'), generate());
});

// Compile-time: each generated type and its schema's Static type accept each other's values, so
// the SDK's types cannot drift from what the server validates and answers. `npm run typecheck`
// fails on a mismatch (a `false` below).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Each<T extends Record<string, true>> = T;
export type Checked = Each<{
  Publication: Same<G.Publication, Static<typeof R.Publication>>;
  PublishAck: Same<G.PublishAck, Static<typeof R.PublishAck>>;
  ChannelView: Same<G.ChannelView, Static<typeof R.ChannelView>>;
  ChannelEntry: Same<G.ChannelEntry, Static<typeof R.ChannelEntry>>;
  UnreadPage: Same<G.UnreadPage, Static<typeof R.UnreadPage>>;
  UserPage: Same<G.UserPage, Static<typeof R.UserPage>>;
  LoginResult: Same<G.LoginResult, Static<typeof H.LoginResult>>;
  DeviceView: Same<G.DeviceView, Static<typeof H.DeviceView>>;
  PushTargetView: Same<G.PushTargetView, Static<typeof P.PushTargetView>>;
  PushRegisterBody: Same<G.PushRegisterBody, Static<typeof P.PushRegisterBody>>;
  UploadResult: Same<G.UploadResult, Static<typeof F.UploadResult>>;
  Methods: Same<G.RpcMethod, RpcMethod>;
  Requests: Same<{ [M in RpcMethod]: G.RpcRequest<M> }, { [M in RpcMethod]: Static<(typeof RPC)[M]['request']> }>;
  Results: Same<{ [M in RpcMethod]: G.RpcResult<M> }, { [M in RpcMethod]: Static<(typeof RPC)[M]['result']> }>;
}>;
