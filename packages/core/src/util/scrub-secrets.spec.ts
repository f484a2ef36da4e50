import { describe, expect, it } from 'vitest';
import { isSecretEnvName, isSecretQueryParam, scrubSecrets, scrubSecretsDeep, scrubUrl } from './scrub-secrets.js';

const NO_ENV = { env: {} };

describe('scrubSecrets', () => {
  it.each([
    ['an OpenAI key', 'Incorrect API key provided: sk-proj-abcdefghijklmnop1234.', 'Incorrect API key provided: REDACTED.'],
    ['an Anthropic key', 'key sk-ant-api03-ABCDEFGHIJKLMN_op-1234 rejected', 'key REDACTED rejected'],
    ['a bearer token', 'Authorization: Bearer abc.def-ghi_jkl', 'Authorization: Bearer REDACTED'],
    ['an x-api-key header', 'x-api-key: 0123456789abcdef', 'x-api-key: REDACTED'],
    ['a JSON api_key field', '{"api_key": "0123456789abcdef"}', '{"api_key": "REDACTED"}'],
    ['a Google key', 'key=AIzaSyA1234567890abcdefghijklmnopqrstu ok', 'key=REDACTED ok'],
  ])('removes %s from text', (_what, text, expected) => {
    expect(scrubSecrets(text, NO_ENV)).toBe(expected);
  });

  it.each([
    ['a ?key= query', 'http://127.0.0.1:8080/v1?key=planted-key-1', 'http://127.0.0.1:8080/v1?key=REDACTED'],
    [
      'an S3 presigned URL',
      'https://bucket.s3.amazonaws.com/data.json?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260101&X-Amz-Signature=deadbeef&token=t0k3n&part=2',
      'https://bucket.s3.amazonaws.com/data.json?X-Amz-Algorithm=REDACTED&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&token=REDACTED&part=2',
    ],
    ['a GCS signed URL', 'https://storage.googleapis.com/b/o?X-Goog-Signature=abc123&alt=media', 'https://storage.googleapis.com/b/o?X-Goog-Signature=REDACTED&alt=media'],
    ['an Azure SAS', 'https://a.blob.core.windows.net/c/f?sv=2020&sig=abc%3D', 'https://a.blob.core.windows.net/c/f?sv=2020&sig=REDACTED'],
    ['user info', 'https://alice:hunter2@example.com/x', 'https://REDACTED@example.com/x'],
    ['a token as user info', 'https://ghtoken123@example.com/x', 'https://REDACTED@example.com/x'],
    ['an HTML-escaped query', '<a href="https://h/f?part=1&amp;token=t0k3n&amp;x=2">', '<a href="https://h/f?part=1&amp;token=REDACTED&amp;x=2">'],
    ['a URL inside a message', 'Cannot download https://h/f.json?signature=s1g (ECONNREFUSED). Retry?', 'Cannot download https://h/f.json?signature=REDACTED (ECONNREFUSED). Retry?'],
  ])('removes the secret parts of %s and keeps the rest', (_what, text, expected) => {
    expect(scrubUrl(text)).toBe(expected);
    expect(scrubSecrets(text, NO_ENV)).toBe(expected);
  });

  it.each([
    ['a plain URL', 'https://example.com/data/alpaca.json?download=1&version=3'],
    ['prose with key words', 'check the API key in the environment; token usage: 12 prompt + 3 completion'],
    ['a model name', 'openai:gpt-4o-mini and task-0123456789abcdef'],
    ['a question', 'Are you offline? Connect and retry.'],
  ])('leaves %s unchanged', (_what, text) => {
    expect(scrubSecrets(text, NO_ENV)).toBe(text);
  });

  it('removes the values of key-like environment variables, plain, base64 and URL-encoded, but not other variables', () => {
    const env = { MY_SERVICE_API_KEY: 'plain-value-123', GH_TOKEN: 'tok/with+chars', DB_SECRET_FILE_CONTENT: 'ssshhhhh1', HOME: '/home/someone', SHORT_TOKEN: 'abc' };
    const text = `a plain-value-123 b ${Buffer.from('plain-value-123').toString('base64')} c ${encodeURIComponent('tok/with+chars')} d tok/with+chars e ssshhhhh1 f /home/someone g abc`;
    expect(scrubSecrets(text, { env })).toBe('a REDACTED b REDACTED c REDACTED d REDACTED e REDACTED f /home/someone g abc');
  });

  it('scrubs every string of a nested record and keeps its keys, numbers and shape', () => {
    const record = { baseURL: 'http://h/v1?key=planted', nested: [{ message: 'sk-abcdefghijklmnop1234' }, 3, null], api_key: 7 };
    expect(scrubSecretsDeep(record, NO_ENV)).toEqual({ baseURL: 'http://h/v1?key=REDACTED', nested: [{ message: 'REDACTED' }, 3, null], api_key: 7 });
  });
});

describe('secret names', () => {
  it.each(['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'HF_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'CLIENT_SECRET', 'DB_PASSWORD', 'AWS_ACCESS_KEY_ID'])('%s is a secret environment variable', (name) => {
    expect(isSecretEnvName(name)).toBe(true);
  });
  it.each(['HOME', 'PATH', 'OPENAI_BASE_URL', 'JUDGEKIT_CACHE_DIR', 'KEYBOARD_LAYOUT', 'TOKENIZERS_PARALLELISM'])('%s is not a secret environment variable', (name) => {
    expect(isSecretEnvName(name)).toBe(false);
  });
  it.each(['key', 'api_key', 'apiKey', 'token', 'access_token', 'sig', 'Signature', 'X-Amz-Security-Token', 'x-goog-credential', 'client_secret'])('%s is a secret query parameter', (name) => {
    expect(isSecretQueryParam(name)).toBe(true);
  });
  it.each(['download', 'version', 'alt', 'part', 'sv', 'monkey'])('%s is not a secret query parameter', (name) => {
    expect(isSecretQueryParam(name)).toBe(false);
  });
});
