import 'reflect-metadata';
import { ContainerModule, inject, injectable, multiInject } from 'inversify';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JudgekitError } from '../errors.js';
import { assembleContainer, getContributions } from './plugin-loader.js';

const Greeting = Symbol.for('test/Greeting');
interface Greeting {
  text: string;
}
const Greeter = Symbol.for('test/Greeter');

@injectable()
class HelloGreeting implements Greeting {
  text = 'hello';
}

@injectable()
class Collector {
  constructor(@multiInject(Greeting) readonly greetings: Greeting[]) {}
}

@injectable()
class NeedsCollector {
  constructor(@inject(Collector) readonly collector: Collector) {}
}

describe('assembleContainer', () => {
  it('loads in-hand modules and resolves multi-bindings through explicit @inject', async () => {
    const module = new ContainerModule(({ bind }) => {
      bind(Greeting).to(HelloGreeting);
      bind(Greeting).toConstantValue({ text: 'hi' });
      bind(Collector).toSelf();
      bind(Greeter).to(NeedsCollector);
    });
    const { container } = await assembleContainer({ modules: [module] });
    const greeter = container.get<NeedsCollector>(Greeter);
    expect(greeter.collector.greetings.map((g) => g.text).sort()).toEqual(['hello', 'hi']);
    expect(getContributions<Greeting>(container, Symbol.for('test/nothing'))).toEqual([]);
  });

  it('loads a plugin from a local file and reports a broken one without losing the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'judgekit-plugin-'));
    await writeFile(
      join(dir, 'good.mjs'),
      `import { ContainerModule } from 'inversify';\nexport default new ContainerModule(({ bind }) => { bind(Symbol.for('test/Greeting')).toConstantValue({ text: 'from file' }); });\n`,
    );
    await writeFile(join(dir, 'bad.mjs'), `export default 42;\n`);
    const { container, loaded, failed } = await assembleContainer({ plugins: ['./good.mjs', './bad.mjs', './missing.mjs'], baseDir: dir, strict: false });
    expect(loaded).toEqual(['./good.mjs']);
    expect(failed.map((f) => f.specifier)).toEqual(['./bad.mjs', './missing.mjs']);
    expect(JudgekitError.is(failed[0]?.error, 'plugin')).toBe(true);
    expect(String((failed[0]?.error as Error).message)).toContain('ContainerModule');
    expect(container.getAll<Greeting>(Greeting).map((g) => g.text)).toEqual(['from file']);
    await expect(assembleContainer({ plugins: ['./bad.mjs'], baseDir: dir })).rejects.toThrow(/bad\.mjs/);
  });
});
