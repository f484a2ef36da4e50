import { defineProject } from 'vitest/config';
import { sourceProject } from '../../vitest.shared.ts';

export default defineProject(sourceProject('queue'));
