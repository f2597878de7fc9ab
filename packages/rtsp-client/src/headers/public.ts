// Specification: RFC 2326, section 12.28 (Public): the methods the server supports.
//   Public: OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, GET_PARAMETER, SET_PARAMETER

export function parsePublic(value: string): Set<string> {
  return new Set(
    value
      .split(',')
      .map((m) => m.trim().toUpperCase())
      .filter((m) => m !== ''),
  );
}
