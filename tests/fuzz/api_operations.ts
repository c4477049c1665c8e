/**
 * The operations of the HTTP API as the OpenAPI document declares them, for generators that fuzz
 * every operation: a route added to the document is fuzzed without touching the fuzz tests.
 */
import { buildOpenApiDocument } from "../../routes/mod.ts";

/** A JSON Schema as the document holds it (references resolved). */
// biome-ignore lint/suspicious/noExplicitAny: JSON Schema objects are arbitrary JSON.
export type JsonSchema = Record<string, any>;

/** One parameter of an operation. */
export interface OperationParameter {
  readonly name: string;
  readonly in: "path" | "query";
  readonly required: boolean;
  readonly schema: JsonSchema;
}

/** One operation of the document. */
export interface ApiOperation {
  readonly operationId: string;
  /** Upper case. */
  readonly method: string;
  /** The path template, e.g. `/v1/kv/{key}`. */
  readonly template: string;
  readonly parameters: readonly OperationParameter[];
  /** The JSON body's schema, or undefined when the operation takes no body. */
  readonly body: JsonSchema | undefined;
  /** Every status the document declares for it. */
  readonly statuses: readonly number[];
  /** True when a bearer token guards it (every `/v1` operation). */
  readonly secured: boolean;
}

/** `schema` with every `$ref` into `components` replaced by its target. */
function resolve(schema: unknown, components: JsonSchema): unknown {
  if (Array.isArray(schema)) return schema.map((s) => resolve(s, components));
  if (typeof schema !== "object" || schema === null) return schema;
  const ref = (schema as JsonSchema).$ref;
  if (typeof ref === "string") return resolve(components[ref.replace("#/components/schemas/", "")], components);
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, resolve(v, components)]));
}

/** Every operation of the node's document. */
export function apiOperations(): ApiOperation[] {
  const doc = JSON.parse(JSON.stringify(buildOpenApiDocument())) as JsonSchema;
  const components = doc.components.schemas as JsonSchema;
  const out: ApiOperation[] = [];
  for (const [template, item] of Object.entries(doc.paths as JsonSchema)) {
    for (const [method, op] of Object.entries(item as JsonSchema)) {
      const parameters = ((op.parameters ?? []) as JsonSchema[]).map((p) => ({
        name: p.name as string,
        in: p.in as "path" | "query",
        required: p.required === true,
        schema: resolve(p.schema, components) as JsonSchema,
      }));
      const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
      out.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        template,
        parameters,
        body: bodySchema === undefined ? undefined : (resolve(bodySchema, components) as JsonSchema),
        statuses: Object.keys(op.responses).map(Number),
        secured: template.startsWith("/v1/"),
      });
    }
  }
  return out;
}

/** The methods the document allows at `template` (HEAD wherever GET is: the runtime answers it). */
export function allowedMethods(operations: readonly ApiOperation[], template: string): Set<string> {
  const methods = new Set(operations.filter((o) => o.template === template).map((o) => o.method));
  if (methods.has("GET")) methods.add("HEAD");
  return methods;
}
