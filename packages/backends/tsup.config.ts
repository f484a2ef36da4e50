import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base.ts';

// One entry per subpath in package.json `exports`.
export default defineConfig(
  libraryBuild({
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'generation/index': 'src/generation/index.ts',
    'tokenizer/index': 'src/tokenizer/index.ts',
    'training/index': 'src/training/index.ts',
  }),
);
