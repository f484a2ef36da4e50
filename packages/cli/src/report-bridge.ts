// The report stage of `judgekit run` calls @judgekit/report; kept in one place so the pipeline does not know
// the report package's API, and the report package loads only when a run gets that far.
export async function writeReport(runDir: string): Promise<string[]> {
  const { writeRunReport } = await import('@judgekit/report');
  return (await writeRunReport(runDir, {})).files;
}
