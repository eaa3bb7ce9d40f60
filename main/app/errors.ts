// Failures of the composition root, as tagged data: a code a caller can switch on and a
// reason a person can read. The CLI prints `reason` on one line (main/cli.ts); Electron
// shows it in its error box; tests assert `code`. Nothing here knows about either.

export type AppErrorCode =
  /** The API could not bind its address (in use, not permitted, no such interface). */
  | 'listen_failed'
  /** More attachments than a running server accepts (a programming error, bounded anyway). */
  | 'too_many_attachments'
  /** Settings an attachment cannot run with (a backup interval below its floor, …). */
  | 'bad_settings';

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'AppError';
  }

  toJSON(): { code: AppErrorCode; reason: string } {
    return { code: this.code, reason: this.reason };
  }
}
