import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { discoveredTargets, valueAtPath } from "./service-discovery.js";
import { validateApiDefinition } from "./validate.js";

describe("service discovery answers (api-definition.md §11)", () => {
  it("reads dot paths through objects and arrays", () => {
    assert.equal(valueAtPath({ a: { b: [{ c: 1 }] } }, "a.b.0.c"), 1);
    assert.equal(valueAtPath({ a: 1 }, "a.b"), undefined);
  });
  it("plain object: data_path host plus port_data_path, target_path appended", () => {
    const body = { node: { value: "10.0.0.5", port: 8080 } };
    assert.deepEqual(discoveredTargets(body, { data_path: "node.value", port_data_path: "node.port", target_path: "/api" }), ["http://10.0.0.5:8080/api"]);
  });
  it("a list of hosts with use_target_list; scheme kept when present", () => {
    const body = { hosts: ["https://a.example", "b.example:81"] };
    assert.deepEqual(discoveredTargets(body, { data_path: "hosts", use_target_list: true }), ["https://a.example", "http://b.example:81"]);
  });
  it("nested: the parent path holds JSON text (etcd/Consul style)", () => {
    const body = { node: { value: JSON.stringify({ hostname: "10.1.1.1", port: "9000" }) } };
    assert.deepEqual(discoveredTargets(body, { use_nested_query: true, parent_data_path: "node.value", data_path: "hostname", port_data_path: "port" }), ["http://10.1.1.1:9000"]);
  });
  it("endpoint_returns_list: every element of a top-level array", () => {
    const body = [{ Address: "10.0.0.1", ServicePort: 80 }, { Address: "10.0.0.2", ServicePort: 81 }, { nothing: true }];
    assert.deepEqual(discoveredTargets(body, { endpoint_returns_list: true, data_path: "Address", port_data_path: "ServicePort" }), ["http://10.0.0.1:80", "http://10.0.0.2:81"]);
  });
  it("nothing usable is an empty list", () => {
    assert.deepEqual(discoveredTargets({ node: {} }, { data_path: "node.value" }), []);
    assert.deepEqual(discoveredTargets({ node: { value: "{not json" } }, { use_nested_query: true, parent_data_path: "node.value", data_path: "x" }), []);
  });
});

describe("validateApiDefinition: uptime tests and service discovery", () => {
  const base = (extra: Record<string, unknown>, proxy: Record<string, unknown> = {}) =>
    ({ api_id: "a1", proxy: { listen_path: "/a/", target_url: "http://up/", ...proxy }, ...extra });
  const errorOf = (raw: unknown): string => {
    const r = validateApiDefinition(raw);
    assert.equal(r.ok, false);
    return r.ok ? "" : r.error;
  };
  it("rejects a check without URL or with a bad one", () => {
    assert.equal(errorOf(base({ uptime_tests: { check_list: [{ method: "GET" }] } })), "uptime_tests.check_list[0].url is required");
    assert.equal(errorOf(base({ uptime_tests: { check_list: [{ url: "nope" }] } })), 'uptime_tests.check_list[0].url "nope" is not a valid http(s) URL');
  });
  it("rejects discovery without endpoint or data path; allows an empty target_url with discovery", () => {
    assert.equal(errorOf(base({}, { service_discovery: { use_discovery_service: true, data_path: "x" } })),
      "proxy.service_discovery.query_endpoint is required when use_discovery_service is true");
    assert.equal(errorOf(base({}, { service_discovery: { use_discovery_service: true, query_endpoint: "http://sd/" } })),
      "proxy.service_discovery.data_path is required when use_discovery_service is true");
    const ok = validateApiDefinition(base({}, { target_url: "", service_discovery: { use_discovery_service: true, query_endpoint: "http://sd/", data_path: "x" } }));
    assert.ok(ok.ok, ok.ok ? "" : ok.error);
  });
});
