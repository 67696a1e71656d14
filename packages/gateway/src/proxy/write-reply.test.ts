import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errors } from '../errors.js';
import type { ResponseWriter } from '../front-door/response-writer.js';
import { reply } from '../pipeline/decision.js';
import { showGeneratorHeader, writeReply } from './write-reply.js';

/** Records the headers a reply writes. */
function headersWritten(write: (res: ResponseWriter) => void): string[] {
  const names: string[] = [];
  const res = {
    writeStatus: () => res,
    writeHeader: (name: string, value: string) => {
      names.push(`${name}: ${value}`);
      return res;
    },
    end: () => res,
    endWithoutBody: () => res,
  } as unknown as ResponseWriter;
  write(res);
  return names;
}

describe('writeReply and hide_generator_header (errors-and-flags.md §1)', () => {
  it('hides X-Generator by default (tollgate: hide_generator_header defaults to true)', () => {
    assert.ok(!headersWritten((res) => writeReply(res, errors.keyNotFound, false)).includes('X-Generator: tyk.io'));
  });

  it('with hide_generator_header false, error documents carry X-Generator: tyk.io; text answers and other replies do not', () => {
    showGeneratorHeader(true);
    try {
      assert.ok(headersWritten((res) => writeReply(res, errors.keyNotFound, false)).includes('X-Generator: tyk.io'));
      assert.ok(headersWritten((res) => writeReply(res, errors.upstreamRefused, false, ['x-extra', '1'])).includes('X-Generator: tyk.io'));
      for (const other of [errors.notFound, errors.entityTooLarge, errors.allHostsDown, reply(204, '')]) {
        assert.ok(!headersWritten((res) => writeReply(res, other, false)).includes('X-Generator: tyk.io'), String(other.status));
      }
    } finally {
      showGeneratorHeader(false);
    }
  });
});
