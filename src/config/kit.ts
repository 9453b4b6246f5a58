import { Type } from 'typebox';

/**
 * Builders for settings: every setting carries its `description` and `default`, which the docs
 * (scripts/config-docs.ts), `xpush config defaults` and the `start --help` text are generated from.
 * `expected` overrides the generated "expected …" wording of error messages; `secret` masks the value in
 * `xpush config check` (`'url'` masks only a URL's password).
 */
export interface SettingOptions {
  description: string;
  expected?: string;
  secret?: true | 'url';
}

/** A positive integer (milliseconds, counts, bytes) with its default. */
export const positive = (def: number, description: string) => Type.Integer({ minimum: 1, default: def, description });
/** A limit where 0 turns it off. */
export const zeroOff = (def: number, description: string) => Type.Integer({ minimum: 0, default: def, description });
export const flag = (def: boolean, description: string) => Type.Boolean({ default: def, description });
export const strings = (def: string[], description: string) => Type.Array(Type.String({ minLength: 1 }), { default: def, description });
/** An optional string with no default (unset means "derived", said in the description). */
export const optionalString = (description: string, extra: Partial<SettingOptions> = {}) =>
  Type.Optional(Type.String({ minLength: 1, description, ...extra }));
