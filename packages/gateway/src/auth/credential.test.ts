import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiDef, testRequest } from './testing.js';
import { cookieValue, credentialLocation, readCredential, removeCookie } from './credential.js';

describe('reading a credential (auth.md §1)', () => {
  it('defaults to the Authorization header and strips a Bearer prefix for auth tokens and JWTs only', () => {
    const token = credentialLocation(apiDef(), 'authToken');
    assert.equal(readCredential(testRequest({ headers: { authorization: 'abc' } }), token), 'abc');
    assert.equal(readCredential(testRequest({ headers: { authorization: 'bearer abc' } }), token), 'abc');
    assert.equal(readCredential(testRequest({ headers: { authorization: 'BEARER abc' } }), token), 'abc');
    assert.equal(readCredential(testRequest({ headers: { authorization: 'Bearerabc' } }), token), 'Bearerabc');
    const basic = credentialLocation(apiDef(), 'basic');
    assert.equal(readCredential(testRequest({ headers: { authorization: 'Bearer abc' } }), basic), 'Bearer abc');
  });

  it('cookie beats query parameter beats header; empty values do not replace', () => {
    const where = credentialLocation(apiDef({ auth: { auth_header_name: 'X-Key', use_param: true, param_name: 'k', use_cookie: true, cookie_name: 'ck' } }), 'authToken');
    const headers = { 'x-key': 'from-header', cookie: 'a=1; ck=from-cookie' };
    assert.equal(readCredential(testRequest({ headers, query: 'k=from-query' }), where), 'from-cookie');
    assert.equal(readCredential(testRequest({ headers: { 'x-key': 'from-header' }, query: 'k=from-query' }), where), 'from-query');
    assert.equal(readCredential(testRequest({ headers: { 'x-key': 'from-header' }, query: 'k=' }), where), 'from-header');
    assert.equal(readCredential(testRequest({ headers: { 'x-key': 'from-header', cookie: 'ck=' } }), where), 'from-header');
  });

  it('param and cookie names default to the header name; disable_header ignores the header', () => {
    const where = credentialLocation(apiDef({ auth: { use_param: true, use_cookie: true, disable_header: true } }), 'authToken');
    assert.equal(readCredential(testRequest({ headers: { authorization: 'h' } }), where), '');
    assert.equal(readCredential(testRequest({ query: 'Authorization=q%2B1' }), where), 'q+1');
    assert.equal(readCredential(testRequest({ headers: { cookie: 'Authorization=c' } }), where), 'c');
  });

  it('with disable_header the parameter and cookie names default to Authorization even when auth_header_name is set (Tyk getAuthToken)', () => {
    const where = credentialLocation(apiDef({ auth: { auth_header_name: 'X-Key', use_param: true, use_cookie: true, disable_header: true } }), 'authToken');
    assert.deepEqual([where.header, where.param, where.cookie], ['', 'Authorization', 'Authorization']);
    assert.equal(readCredential(testRequest({ headers: { 'x-key': 'h' }, query: 'X-Key=q' }), where), '');
    assert.equal(readCredential(testRequest({ query: 'Authorization=q' }), where), 'q');
    assert.equal(readCredential(testRequest({ headers: { cookie: 'Authorization=c' } }), where), 'c');
    // While the header is read, they default to it.
    const read = credentialLocation(apiDef({ auth: { auth_header_name: 'X-Key', use_param: true, use_cookie: true } }), 'authToken');
    assert.deepEqual([read.header, read.param, read.cookie], ['x-key', 'X-Key', 'X-Key']);
  });

  it('a query pair whose value does not decode is skipped, so a later one of the same name is used (Go url.Query)', () => {
    const where = credentialLocation(apiDef({ auth: { use_param: true, param_name: 'key' } }), 'authToken');
    assert.equal(readCredential(testRequest({ query: 'key=100%&key=abc' }), where), 'abc');
  });

  it('auth_configs wins over the legacy auth object; basic and hmac never use the legacy object', () => {
    const def = apiDef({ auth: { auth_header_name: 'X-Legacy' }, auth_configs: { authToken: { auth_header_name: 'X-Token' } } });
    assert.equal(credentialLocation(def, 'authToken').header, 'x-token');
    assert.equal(credentialLocation(def, 'jwt').header, 'x-legacy');
    assert.equal(credentialLocation(def, 'hmac').header, 'authorization');
  });

  it('parses and removes cookies by exact name', () => {
    assert.equal(cookieValue('session=1; sessionid="x"', 'sessionid'), 'x');
    assert.equal(removeCookie('session=1; sessionid=2', 'session'), 'sessionid=2');
    assert.equal(removeCookie('session=1', 'session'), '');
  });
});
