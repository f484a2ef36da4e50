// DI wiring of the report plugin: the HTML reporter, and the rule-based category tagger it uses (rebind
// CategoryTagger to an LlmCategoryTagger to tag items with a model instead).
import { ContainerModule } from 'inversify';
import { CategoryTagger, Reporter, ruleBasedCategoryTagger } from '@judgekit/core';
import { HtmlReporter } from './html-reporter.js';

export default new ContainerModule(({ bind }) => {
  bind<CategoryTagger>(CategoryTagger).toConstantValue(ruleBasedCategoryTagger());
  bind<Reporter>(Reporter).to(HtmlReporter);
});
