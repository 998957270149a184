/// <reference types="node" />
// Where every `wasm-cnn` subcommand writes its lines, and how it turns a failure into stderr
// lines and an exit code (2 for bad usage, 1 for any other error).
import { UsageError } from './args.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const defaultIo: Io = {
  out: (s) => { process.stdout.write(s + '\n'); },
  err: (s) => { process.stderr.write(s + '\n'); },
};

/**
 * An error's message on one line. `withName` puts the class in front ("FormatError: ..."), except
 * for a plain Error.
 */
export function oneLine(e: unknown, { withName = false } = {}): string {
  const err = e as { message?: unknown } | null;
  const message = err && typeof err.message === 'string' ? err.message : String(e);
  const name = withName && e instanceof Error && e.name !== 'Error' ? `${e.name}: ` : '';
  return (name + message).split(/\s*\n\s*/).filter(Boolean).join(' ');
}

/** How a subcommand words its failures. */
export interface FailureStyle {
  /** Starts every line: `wasm-cnn` or `wasm-cnn <command>`. */
  prefix: string;
  /** The line after a usage error, pointing to the help. */
  usageHint: string;
  /** Prints a usage error's message as parseArgs wrote it (some span lines) instead of on one line. */
  usageAsWritten: boolean;
  /** Names the error class in the message ("error: FormatError: ..."). */
  errorNames: boolean;
  /** Whether the stack follows the message: for errors the command does not expect, and on request. */
  showStack: (e: unknown) => boolean;
}

/** Prints `e` in the command's style and returns the exit code. */
export function reportFailure(e: unknown, io: Io, style: FailureStyle): number {
  if (e instanceof UsageError) {
    io.err(`${style.prefix}: ${style.usageAsWritten ? e.message : oneLine(e)}`);
    io.err(style.usageHint);
    return 2;
  }
  io.err(`${style.prefix}: error: ${oneLine(e, { withName: style.errorNames })}`);
  if (style.showStack(e) && e instanceof Error && e.stack) io.err(e.stack);
  return 1;
}
