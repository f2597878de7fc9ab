/**
 * Structured logging: one JSON object per line by default (machines read logs
 * first), or a short human form with `log.format=pretty`. Per-packet and
 * per-retry problems go through `rateLimited`, so an offline camera does not
 * write a line every few seconds forever.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'json' | 'pretty';
  write?: (line: string) => void;
  now?: () => number;
}

export class Logger {
  private readonly minLevel: number;
  private readonly format: 'json' | 'pretty';
  private readonly write: (line: string) => void;
  readonly now: () => number;

  constructor(
    options: LoggerOptions = {},
    private readonly bound: LogFields = {},
  ) {
    this.minLevel = LEVELS[options.level ?? 'info'];
    this.format = options.format ?? 'json';
    this.write = options.write ?? ((line) => process.stdout.write(line + '\n'));
    this.now = options.now ?? Date.now;
  }

  /** A logger that adds `fields` (e.g. `{ stream: 'vhost/app/stream' }`) to every line. */
  child(fields: LogFields): Logger {
    const c = new Logger(
      { level: levelName(this.minLevel), format: this.format, write: this.write, now: this.now },
      { ...this.bound, ...fields },
    );
    return c;
  }

  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= this.minLevel;
  }

  log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const time = new Date(this.now()).toISOString();
    const all = { ...this.bound, ...fields };
    for (const [k, v] of Object.entries(all)) if (v instanceof Error) all[k] = v.message;
    if (this.format === 'json') {
      this.write(JSON.stringify({ time, level, msg, ...all }));
    } else {
      const extra = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      this.write(`${time} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? ' ' + extra : ''}`);
    }
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }
}

function levelName(n: number): LogLevel {
  return (Object.entries(LEVELS).find(([, v]) => v === n)?.[0] ?? 'info') as LogLevel;
}

/**
 * Lets the first line of a kind through, then at most one per `intervalMs`,
 * reporting how many were suppressed in between.
 */
export class RateLimitedLog {
  private lastAt = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  log(level: LogLevel, msg: string, fields?: LogFields): void {
    const now = this.logger.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    const extra = this.suppressed > 0 ? { suppressed: this.suppressed } : undefined;
    this.suppressed = 0;
    this.lastAt = now;
    this.logger.log(level, msg, { ...fields, ...extra });
  }
}
