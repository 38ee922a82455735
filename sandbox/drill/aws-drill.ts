// placeholder replaced below
export async function runAwsDrillCommand(_values: Record<string, unknown>): Promise<number> {
  return 2;
}
