// The zod schema of a protobuf message's canonical JSON form (what protobuf-es `toJson` writes), read from its
// descriptor, so routes that answer with a contract message declare the contract's own shape rather than a copy.
// Every field is optional: `toJson` leaves out fields at their default value.
import { ScalarType, type DescEnum, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { z } from '@aico/config';

const WELL_KNOWN: Readonly<Record<string, () => z.ZodType>> = {
  'google.protobuf.Timestamp': () => z.iso.datetime({ offset: true }),
  'google.protobuf.Duration': () => z.string().regex(/^-?\d+(\.\d+)?s$/),
  'google.protobuf.FieldMask': () => z.string(),
  'google.protobuf.Struct': () => z.record(z.string(), z.unknown()),
  'google.protobuf.Value': () => z.unknown(),
  'google.protobuf.ListValue': () => z.array(z.unknown()),
  'google.protobuf.Any': () => z.looseObject({ '@type': z.string() }),
};

function scalar(type: ScalarType): z.ZodType {
  switch (type) {
    case ScalarType.STRING:
      return z.string();
    case ScalarType.BOOL:
      return z.boolean();
    case ScalarType.BYTES:
      return z.base64();
    // 64-bit integers are strings in protobuf JSON, so no precision is lost.
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
    case ScalarType.SINT64:
      return z.string().regex(/^-?\d+$/);
    case ScalarType.INT32:
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.SINT32:
      return z.number().int();
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return z.number();
  }
}

const enumJson = (desc: DescEnum) => z.enum(desc.values.map((value) => value.name) as [string, ...string[]]);

export function protoJsonSchema(desc: DescMessage): z.ZodType {
  const wellKnown = WELL_KNOWN[desc.typeName];
  if (wellKnown) return wellKnown();
  return z.strictObject(Object.fromEntries(desc.fields.map((field) => [field.jsonName, fieldSchema(field).optional()])));
}

function fieldSchema(field: DescField): z.ZodType {
  switch (field.fieldKind) {
    case 'scalar':
      return scalar(field.scalar);
    case 'enum':
      return enumJson(field.enum);
    case 'message':
      return protoJsonSchema(field.message);
    case 'list':
      return z.array(field.listKind === 'scalar' ? scalar(field.scalar) : field.listKind === 'enum' ? enumJson(field.enum) : protoJsonSchema(field.message));
    case 'map':
      return z.record(
        z.string(),
        field.mapKind === 'scalar' ? scalar(field.scalar) : field.mapKind === 'enum' ? enumJson(field.enum) : protoJsonSchema(field.message),
      );
  }
}
