import { RawClient } from './clients.ts';
import { fromSdk, sdkProtobufCodec, toSdk, type SdkProtobufCodec } from './sdk-protobuf.ts';

/**
 * A raw WebSocket on the Protobuf encoding (subprotocol `centrifuge-protobuf`): commands are written
 * and replies read with the official SDK's own codec (an independent reference for ours), in the
 * JSON shape RawClient uses, so `call`, `waitFor` and `waitClosed` work the same.
 */
export class ProtobufRawClient extends RawClient {
  private readonly codec: SdkProtobufCodec = sdkProtobufCodec();
  /** Text frames received: a Protobuf connection must only ever get binary ones. */
  textFrames = 0;

  /** `offer: false` selects Protobuf by the URL alone (`?format=protobuf`), offering no subprotocol. */
  constructor(url: string, offer = true) {
    super(url, offer ? 'centrifuge-protobuf' : undefined);
  }

  /** Commands in their JSON shape → one binary frame. */
  frame(...commands: object[]): Uint8Array {
    return this.codec.encodeCommands(commands.map((c) => toSdk(c) as object));
  }

  protected override onData(data: Buffer, binary: boolean): void {
    if (!binary) {
      this.textFrames++;
      return;
    }
    for (const reply of this.codec.decodeReplies(new Uint8Array(data))) {
      const m = fromSdk(reply) as Record<string, unknown>;
      if (Object.keys(m).length === 0 && this.autoPong) {
        this.ws.send(this.frame({}));
        continue;
      }
      this.received.push(m);
    }
  }

  protected override encode(command: object): Uint8Array {
    return this.frame(command);
  }
}

export async function protobufRawClient(t: { after(fn: () => unknown): void }, url: string, offer = true): Promise<ProtobufRawClient> {
  const c = new ProtobufRawClient(url, offer);
  t.after(() => c.close());
  await c.open();
  return c;
}
