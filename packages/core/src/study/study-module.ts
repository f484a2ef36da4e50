// DI wiring of the study's built-in stages. A plugin replaces one by binding a StudyStage with the same id, or
// adds one with a new id at its own `order`.
import { ContainerModule } from 'inversify';
import { StudyStage } from '../contracts/study-stage.js';
import { DatasetStage } from './stages/dataset-stage.js';
import { FinetuneStage } from './stages/finetune-stage.js';
import { GenerateStage } from './stages/generate-stage.js';
import { JudgeStage } from './stages/judge-stage.js';
import { LossStage } from './stages/loss-stage.js';
import { ReportStage } from './stages/report-stage.js';
import { ResultsStage } from './stages/results-stage.js';

export const studyModule = new ContainerModule(({ bind }) => {
  for (const stage of [new DatasetStage(), new LossStage(), new FinetuneStage(), new GenerateStage(), new JudgeStage(), new ResultsStage(), new ReportStage()]) {
    bind<StudyStage>(StudyStage).toConstantValue(stage);
  }
});
