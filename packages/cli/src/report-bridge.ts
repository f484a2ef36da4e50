// The report stage of `judgekit run` calls @judgekit/report; kept in one place so the pipeline does not know
// the report package's API.
export async function writeReport(runDir: string): Promise<string[]> {
  const report = (await import('@judgekit/report')) as unknown as { writeReport?: (dir: string) => Promise<{ files: string[] }> };
  if (typeof report.writeReport !== 'function') throw new Error('@judgekit/report has no writeReport(runDir) export');
  return (await report.writeReport(runDir)).files;
}
