// A test plugin that replaces the study's built-in `report` stage (same id) with one that writes a marker file,
// and adds a stage of its own after it: proof that `judgekit run` takes its stages from the container.
import { ContainerModule, StudyStage, writeJsonAtomic, type Stage, type Study } from '@judgekit/core';

class MarkerReportStage implements StudyStage {
  readonly id = 'report';
  readonly description = 'Writes marker-report.json instead of the HTML report.';
  readonly order = 700;
  plan(study: Study): Stage[] {
    return [{ name: 'report', run: async () => writeJsonAtomic(study.store.path('marker-report.json'), { models: study.models.map((m) => m.name) }) }];
  }
}

class CountStage implements StudyStage {
  readonly id = 'count-answers';
  readonly description = 'Counts the models after the report.';
  readonly order = 800;
  plan(study: Study): Stage[] {
    return [{ name: 'count-answers', run: async (context) => context.log(`count-answers: ${study.models.length} models`) }];
  }
}

export default new ContainerModule(({ bind }) => {
  bind<StudyStage>(StudyStage).toConstantValue(new MarkerReportStage());
  bind<StudyStage>(StudyStage).toConstantValue(new CountStage());
});
