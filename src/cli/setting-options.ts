import { Option, type Command } from 'commander';
import { FIELDS, type Field } from '../config/fields.ts';

/**
 * One `start` flag per setting, generated from the schema and grouped in `--help` by section. The
 * names from before the schema (`--pg-url`, `--store`, `--redis-url`…) keep working, hidden from the help.
 */
export function settingOptions(cmd: Command): Command {
  for (const f of FIELDS) {
    const names = `${f.short ? `-${f.short}, ` : ''}--${f.flag} ${placeholder(f)}`;
    cmd.addOption(new Option(names, helpText(f)).helpGroup(`${f.section}:`));
    for (const alias of f.flagAliases) cmd.addOption(new Option(`--${alias} ${placeholder(f)}`, `same as --${f.flag}`).hideHelp());
  }
  return cmd;
}

function placeholder(f: Field): string {
  const s = f.schema;
  if (f.role === 'json') return '<json>';
  if (f.role === 'list') return '<list>';
  if (f.role === 'switch' || s.type === 'boolean') return '[bool]';
  const options = s.enum ?? (s.anyOf?.every((v) => v.const !== undefined) ? s.anyOf.map((v) => v.const) : undefined);
  if (options) return `<${options.join('|')}>`;
  if (s.type === 'integer') return '<n>';
  return '<value>';
}

function helpText(f: Field): string {
  const first = /^(.*?\.)(\s+[A-Z(]|$)/.exec(f.description)?.[1] ?? f.description;
  const env = [f.env, ...f.envAliases].join(', ');
  const also = f.flagAliases.length ? `; also --${f.flagAliases.join(', --')}` : '';
  const def = f.default === undefined ? '' : `; default ${f.role === 'switch' ? 'on' : typeof f.default === 'string' ? f.default : JSON.stringify(f.default)}`;
  return `${first} (env ${env}${also}${def})`;
}
