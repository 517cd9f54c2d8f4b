import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/corral.ts';
import { settingsMarkdown } from '../../dist/config/describe.js';

test('docs/settings.md matches what the settings registry generates', () => {
  const committed = fs.readFileSync(path.join(ROOT, 'docs', 'settings.md'), 'utf8');
  assert.equal(committed, settingsMarkdown(), 'docs/settings.md is stale: run `npm run build && npm run docs:settings`');
});
