import { defineProject } from 'vitest/config';
import { sourceProject } from '../vitest.shared.ts';

const project = sourceProject('examples');
export default defineProject({ ...project, test: { ...project.test, include: ['*.spec.ts'], testTimeout: 600_000 } });
