/** True when the arguments are the server's flags (or none): the process serves, as it always has. */
export function isServerInvocation(argv: readonly string[]): boolean {
  return argv.length === 0 || argv[0]!.startsWith("-");
}
