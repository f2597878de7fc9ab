/** ZLMediaKit's API result codes (its `ApiErr`), so platforms written for it read ours unchanged. */
export const ApiCode = {
  Success: 0,
  OtherFailed: -1,
  AuthFailed: -100,
  InvalidArgs: -300,
  Exception: -400,
  NotFound: -500,
} as const;
export type ApiCodeValue = (typeof ApiCode)[keyof typeof ApiCode];

/** Thrown by handlers; rendered as `{ code, msg }` with HTTP 200, like ZLMediaKit. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiCodeValue,
    message: string,
    /** Extra top-level fields of the reply. */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function invalidArg(name: string, why: string): ApiError {
  return new ApiError(ApiCode.InvalidArgs, `invalid argument ${name}: ${why}`);
}
