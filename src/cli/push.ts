import fs from 'node:fs';
import type { Command } from 'commander';
import type { Core } from '../domain/context.ts';
import type { PushKind } from '../store/push-store.ts';
import { check } from '../protocol/schemas.ts';
import { ApnsConfigBody, FcmConfigBody, PushKindSchema, WebPushConfigBody } from '../protocol/push.ts';
import { putApns, putFcm, putWebPush, redact } from '../push/credentials.ts';
import type { CommonOptions } from './config-sources.ts';

type WithStore = <T>(opts: CommonOptions, fn: (core: Pick<Core, 'store'>) => Promise<T>) => Promise<T>;

/**
 * `xpush push …`: an app's push providers, written straight to the store like `xpush app create`
 * (a running server picks a change up within 5 s). Output never contains a secret.
 */
export function pushCommands(program: Command, common: (cmd: Command) => Command, withStore: WithStore): void {
  const push = program.command('push').description("configure an app's push providers (Web Push, FCM, APNs)");
  const print = (v: unknown) => process.stdout.write(JSON.stringify(v, null, 2) + '\n');
  const app = async (core: Pick<Core, 'store'>, id: string) => {
    if (!(await core.store.apps.get(id))) throw new Error(`no app "${id}"`);
  };

  common(push.command('show <app>').description('providers with their settings; secrets as fingerprints'))
    .action(async (id: string, opts: CommonOptions) => {
      print(await withStore(opts, async (core) => {
        await app(core, id);
        return { providers: (await core.store.push.credentials(id)).map(redact) };
      }));
    });

  common(push.command('webpush <app>').description('VAPID subject, and optionally your own key pair (generated at app creation otherwise)'))
    .option('--subject <mailto-or-https>', 'contact for the push services, e.g. mailto:ops@example.com')
    .option('--public-key <b64url>', 'VAPID public key')
    .option('--private-key <b64url>', 'VAPID private key')
    .action(async (id: string, o: CommonOptions & { subject?: string; publicKey?: string; privateKey?: string }) => {
      const body = check(WebPushConfigBody, strip({ subject: o.subject, publicKey: o.publicKey, privateKey: o.privateKey }));
      print(await withStore(o, async (core) => (await app(core, id), redact(await putWebPush(core.store.push, id, body)))));
    });

  common(push.command('fcm <app>').description('Firebase Cloud Messaging from a service-account JSON file'))
    .requiredOption('--service-account <file>', 'the service-account JSON downloaded from Firebase')
    .option('--base-url <url>', 'FCM API base (default https://fcm.googleapis.com)')
    .option('--token-url <url>', 'OAuth token endpoint (default https://oauth2.googleapis.com/token)')
    .action(async (id: string, o: CommonOptions & { serviceAccount: string; baseUrl?: string; tokenUrl?: string }) => {
      const sa = JSON.parse(fs.readFileSync(o.serviceAccount, 'utf8')) as Record<string, unknown>;
      const serviceAccount = strip({ project_id: sa.project_id, client_email: sa.client_email, private_key: sa.private_key, private_key_id: sa.private_key_id });
      const body = check(FcmConfigBody, strip({ serviceAccount, baseUrl: o.baseUrl, tokenUrl: o.tokenUrl }));
      print(await withStore(o, async (core) => (await app(core, id), redact(await putFcm(core.store.push, id, body)))));
    });

  common(push.command('apns <app>').description('Apple Push Notification service, token auth (.p8 key)'))
    .requiredOption('--key-file <p8>', 'the AuthKey_XXXXXXXXXX.p8 file')
    .requiredOption('--key-id <id>', '10-character key id')
    .requiredOption('--team-id <id>', '10-character team id')
    .requiredOption('--topic <bundle-id>', "the app's bundle id")
    .option('--production-url <url>', 'default https://api.push.apple.com:443')
    .option('--sandbox-url <url>', 'default https://api.sandbox.push.apple.com:443')
    .action(async (id: string, o: CommonOptions & { keyFile: string; keyId: string; teamId: string; topic: string; productionUrl?: string; sandboxUrl?: string }) => {
      const body = check(ApnsConfigBody, strip({
        key: fs.readFileSync(o.keyFile, 'utf8'), keyId: o.keyId, teamId: o.teamId, topic: o.topic, productionUrl: o.productionUrl, sandboxUrl: o.sandboxUrl,
      }));
      print(await withStore(o, async (core) => (await app(core, id), redact(await putApns(core.store.push, id, body)))));
    });

  common(push.command('remove <app> <provider>').description('remove a provider: webpush, fcm or apns'))
    .action(async (id: string, provider: string, opts: CommonOptions) => {
      const kind = check(PushKindSchema, provider, 'provider') as PushKind;
      const gone = await withStore(opts, (core) => core.store.push.deleteCredentials(id, kind));
      if (!gone) throw new Error(`app "${id}" has no ${kind} provider`);
      process.stdout.write(`removed ${kind}\n`);
    });
}

function strip<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
