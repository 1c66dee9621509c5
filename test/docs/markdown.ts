/**
 * The fenced code blocks of the repository's Markdown docs (README.md and docs/*.md), and the
 * `nhi` command lines in the shell ones, for the tests that keep the docs true
 * (documented-commands.test.ts, policy-includes.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../example-config.js';

export interface CodeBlock {
  /** Repository-relative path of the Markdown file. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word (`sh`, `console`, `json`, ...), '' when none. */
  lang: string;
  /** The block's content: every line between the fences, each ending in '\n'. */
  text: string;
  /** The Markdown line just above the opening fence ('' at the top of the file). */
  before: string;
}

/** README.md and every docs/*.md (not docs/adr/: ADRs record history). */
export function docFiles(): string[] {
  const docs = readdirSync(join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

export function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i] as string);
    if (!open) continue;
    const [, indent = '', fence = '```', lang = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] as string;
      if (l.trim().startsWith(fence) && l.trim().replace(/[`~]/g, '') === '') break;
      // Content indented like its fence (a block inside a list item) loses that indentation.
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart());
    }
    blocks.push({
      file,
      line: i + 1,
      lang: lang.toLowerCase(),
      text: body.map((l) => `${l}\n`).join(''),
      before: i > 0 ? (lines[i - 1] as string) : '',
    });
    i = j;
  }
  return blocks;
}

export const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);

export interface DocCommand {
  file: string;
  line: number;
  /** The logical line as written (continuations joined). */
  source: string;
  /** What follows `nhi` (or the built CLI run with node, as the demo prints it), as the shell would split it. */
  argv: string[];
}

type Token = { op: string } | { word: string };

/**
 * Shell words and operators of one logical line: quotes and backslashes as sh reads them, a
 * comment from an unquoted `#` at the start of a word, `<placeholder>` as one word (never a
 * redirection).
 */
export function shellTokens(line: string): Token[] {
  const tokens: Token[] = [];
  let word: string | undefined;
  const flush = () => {
    if (word !== undefined) tokens.push({ word });
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    const rest = line.slice(i);
    if (/\s/.test(c)) {
      flush();
      continue;
    }
    if (c === '#' && word === undefined) break;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      const stop = end < 0 ? line.length : end;
      word = (word ?? '') + line.slice(i + 1, stop);
      i = stop;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let text = '';
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && /["\\$`]/.test(line[j + 1] ?? '')) j++;
        text += line[j];
      }
      word = (word ?? '') + text;
      i = j;
      continue;
    }
    if (c === '\\') {
      word = (word ?? '') + (line[i + 1] ?? '');
      i++;
      continue;
    }
    const placeholder = /^<[A-Za-z][^<>\s()]*>/.exec(rest);
    if (placeholder && word === undefined) {
      word = placeholder[0];
      i += placeholder[0].length - 1;
      continue;
    }
    const op = /^(\d*>&\d+|&>>?|\d*>>?|<\(|>\(|\$\(|&&|\|\||[|;&()<])/.exec(rest);
    // `2>` is a redirection only at the start of a word (`a2>b` is `a2` then `>`).
    if (op && (word === undefined || !/^\d/.test(op[0]))) {
      flush();
      tokens.push({ op: op[0] });
      i += op[0].length - 1;
      continue;
    }
    word = (word ?? '') + c;
  }
  flush();
  return tokens;
}

const SEPARATORS = new Set(['|', '||', '&&', ';', '&', '(', ')', '$(', '<(', '>(']);
const isRedirection = (op: string) => /^(\d*>&\d+|&>>?|\d*>>?|<)$/.test(op);

/** The simple commands of a line (pipes, lists and substitutions split; redirections dropped). */
export function simpleCommands(line: string): string[][] {
  const commands: string[][] = [[]];
  const tokens = shellTokens(line);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if ('word' in t) {
      (commands.at(-1) as string[]).push(t.word);
    } else if (SEPARATORS.has(t.op)) {
      commands.push([]);
    } else if (isRedirection(t.op)) {
      // `2>&1` has no target word; `> file`, `>> file`, `< file` do.
      if (!/&\d+$/.test(t.op) && 'word' in (tokens[i + 1] ?? { op: '' })) i++;
    }
  }
  return commands.filter((c) => c.length > 0);
}

/** argv after the CLI itself, or undefined when the command does not run nhi. */
export function nhiArgv(words: string[]): string[] | undefined {
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] as string)) i++;
  const w = words.slice(i);
  if (w[0] === 'nhi') return w.slice(1);
  if (w[0] === 'npx' && w[1] === 'nhi') return w.slice(2);
  if (/(^|\/)node$/.test(w[0] ?? '') && /(^|\/)dist\/src\/cli\/main\.js$/.test(w[1] ?? '')) return w.slice(2);
  return undefined;
}

/** Logical lines of a shell block: console blocks only their `$ ` lines; `\` continuations joined. */
function logicalLines(block: CodeBlock): { line: number; text: string }[] {
  const raw = block.text.split('\n');
  const out: { line: number; text: string }[] = [];
  for (let i = 0; i < raw.length; i++) {
    let text = raw[i] as string;
    const line = block.line + 1 + i;
    if (block.lang === 'console') {
      if (!text.startsWith('$ ')) continue;
      text = text.slice(2);
    }
    while (text.endsWith('\\') && i + 1 < raw.length) {
      i++;
      text = `${text.slice(0, -1)} ${(raw[i] as string).trim()}`;
    }
    out.push({ line, text });
  }
  return out;
}

/** Every `nhi` command in the shell code blocks of README.md and docs/*.md. */
export function documentedCommands(): DocCommand[] {
  const commands: DocCommand[] = [];
  for (const file of docFiles())
    for (const block of codeBlocks(file)) {
      if (!SHELL_LANGS.has(block.lang)) continue;
      for (const { line, text } of logicalLines(block))
        for (const words of simpleCommands(text)) {
          const argv = nhiArgv(words);
          if (argv) commands.push({ file, line, source: text.trim(), argv });
        }
    }
  return commands;
}

/**
 * `nhi ...` in inline code spans of the prose (outside code blocks), e.g. `nhi findings ack`.
 * Placeholders (`<control owner>`) become one word, optional brackets (`[--key FILE]`) are
 * dropped; spans that stand for several commands (`nhi COMMAND --help`, `nhi plan/request`) are
 * skipped.
 */
export function inlineCommands(): DocCommand[] {
  const commands: DocCommand[] = [];
  for (const file of docFiles()) {
    const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n');
    let fence: string | undefined;
    lines.forEach((text, i) => {
      const f = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
      if (f && (fence === undefined || text.trim() === fence)) {
        fence = fence === undefined ? f : undefined;
        return;
      }
      if (fence !== undefined) return;
      for (const m of text.matchAll(/(?<!`)`(nhi [^`]+)`(?!`)/g)) {
        const span = (m[1] as string).replace(/\\\|/g, '|');
        if (/\bCOMMAND\b/.test(span) || /^nhi [\w-]+\//.test(span)) continue;
        const line = span.replace(/<[^<>]+>/g, 'PLACEHOLDER').replace(/[[\]]/g, '');
        for (const words of simpleCommands(line)) {
          const argv = nhiArgv(words);
          if (argv) commands.push({ file, line: i + 1, source: span, argv });
        }
      }
    });
  }
  return commands;
}
