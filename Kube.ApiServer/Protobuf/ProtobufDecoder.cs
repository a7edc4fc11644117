using System.Text;
using System.Text.Json.Nodes;

namespace Kube.ApiServer.Protobuf;

/// <summary>
/// Decodes the protobuf request bodies kubectl 1.32's typed clients send (<c>kubectl create</c> namespace, configmap, secret, deployment,
/// job, cronjob, role, clusterrole, rolebinding, clusterrolebinding, quota, priorityclass, pdb, ingress, service):
/// the <c>k8s\0</c> magic, a runtime.Unknown envelope, and the object's message, turned into the JSON object
/// the registry works on. Only the messages and fields in <see cref="ProtobufSchemas"/> are known; a field number a known
/// message does not list (or a wire type that does not fit the field) is a <see cref="FormatException"/>, which the handlers
/// turn into 400 BadRequest: data is never silently dropped.
/// </summary>
internal static class ProtobufDecoder
{
    private static readonly byte[] Magic = [(byte)'k', (byte)'8', (byte)'s', 0];

    public static bool IsEnvelope(ReadOnlySpan<byte> body) => body.StartsWith(Magic);

    /// <summary>Returns the object as JSON, or null when the kind is not one this decoder knows.</summary>
    public static JsonObject? Decode(ReadOnlySpan<byte> body)
    {
        if (!IsEnvelope(body)) throw new FormatException("the body does not start with the k8s protobuf magic");
        var envelope = body[Magic.Length..];
        string? apiVersion = null, kind = null;
        ReadOnlySpan<byte> raw = default;
        var reader = new Reader(envelope);
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.Tag();
            if (field == 1 && wire == 2)
            {
                var tm = new Reader(reader.Bytes());
                while (!tm.AtEnd)
                {
                    var (f, w) = tm.Tag();
                    if (f == 1 && w == 2) apiVersion = Encoding.UTF8.GetString(tm.Bytes());
                    else if (f == 2 && w == 2) kind = Encoding.UTF8.GetString(tm.Bytes());
                    else tm.Skip(w);
                }
            }
            else if (field == 2 && wire == 2) raw = reader.Bytes();
            else reader.Skip(wire);
        }
        if (apiVersion is null || kind is null) throw new FormatException("the protobuf envelope has no type");
        if (!ProtobufSchemas.Kinds.TryGetValue((apiVersion, kind), out var schema)) return null;
        var obj = Message(raw, schema);
        obj["apiVersion"] = apiVersion;
        obj["kind"] = kind;
        return obj;
    }

    private static JsonObject Message(ReadOnlySpan<byte> data, ProtobufSchemas.Schema schema)
    {
        var obj = new JsonObject();
        if (schema.Discarded) return obj;
        var reader = new Reader(data);
        while (!reader.AtEnd)
        {
            var (number, wire) = reader.Tag();
            // A field this server does not know is refused, never skipped: skipping it would lose the user's data.
            if (!schema.Fields.TryGetValue(number, out var f))
                throw new FormatException($"protobuf field {number} of {schema.Name} is not supported by this server; send JSON");
            switch (f.Type)
            {
                case ProtobufSchemas.FieldType.String when wire == 2:
                {
                    var text = Encoding.UTF8.GetString(reader.Bytes());
                    if (text.Length > 0 || f.Repeated || f.Pointer) Set(obj, f, JsonValue.Create(text));
                    break;
                }
                case ProtobufSchemas.FieldType.Bytes when wire == 2:
                    Set(obj, f, JsonValue.Create(Convert.ToBase64String(reader.Bytes())));
                    break;
                case ProtobufSchemas.FieldType.Int when wire == 0:
                {
                    var n = (long)reader.Varint();
                    if (n != 0 || f.Repeated || f.Pointer) Set(obj, f, JsonValue.Create(n));
                    break;
                }
                case ProtobufSchemas.FieldType.Int when wire == 2 && f.Repeated:
                {
                    // A packed repeated varint field.
                    var packed = new Reader(reader.Bytes());
                    while (!packed.AtEnd) Set(obj, f, JsonValue.Create((long)packed.Varint()));
                    break;
                }
                case ProtobufSchemas.FieldType.Bool when wire == 0:
                {
                    var b = reader.Varint() != 0;
                    if (b || f.Repeated || f.Pointer) Set(obj, f, JsonValue.Create(b));
                    break;
                }
                case ProtobufSchemas.FieldType.Message when wire == 2 && f.Inline:
                    // An embedded Go struct with `json:",inline"`: its fields belong to the parent object.
                    foreach (var (k, v) in Message(reader.Bytes(), f.Message!).ToList())
                    {
                        v?.Parent?.AsObject().Remove(k);
                        obj[k] = v;
                    }
                    break;
                case ProtobufSchemas.FieldType.Message when wire == 2:
                    Set(obj, f, Message(reader.Bytes(), f.Message!));
                    break;
                case ProtobufSchemas.FieldType.Quantity when wire == 2:
                {
                    // A non-pointer Quantity is always written; its zero value ("0") decodes as absent, like other scalars.
                    var q = QuantityString(reader.Bytes());
                    if (f.Pointer || f.Repeated || (q.Length > 0 && q != "0")) Set(obj, f, JsonValue.Create(q));
                    break;
                }
                case ProtobufSchemas.FieldType.Time when wire == 2:
                {
                    var t = new Reader(reader.Bytes());
                    long seconds = 0, nanos = 0;
                    while (!t.AtEnd)
                    {
                        var (n, w) = t.Tag();
                        if (n == 1 && w == 0) seconds = (long)t.Varint();
                        else if (n == 2 && w == 0) nanos = (long)t.Varint();
                        else t.Skip(w);
                    }
                    // metav1.Time is written in JSON with second precision; the zero time is absent.
                    if (seconds != 0 || nanos != 0)
                        Set(obj, f, JsonValue.Create(DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)));
                    break;
                }
                case ProtobufSchemas.FieldType.IntOrString when wire == 2:
                {
                    var ios = new Reader(reader.Bytes());
                    long type = 0, intVal = 0;
                    string? strVal = null;
                    while (!ios.AtEnd)
                    {
                        var (n, w) = ios.Tag();
                        if (n == 1 && w == 0) type = (long)ios.Varint();
                        else if (n == 2 && w == 0) intVal = (long)ios.Varint();
                        else if (n == 3 && w == 2) strVal = Encoding.UTF8.GetString(ios.Bytes());
                        else ios.Skip(w);
                    }
                    // A non-pointer IntOrString is always written; its zero value (int 0) decodes as absent, like other scalars.
                    if (type == 1 || intVal != 0 || f.Pointer) Set(obj, f, type == 1 ? JsonValue.Create(strVal ?? "") : JsonValue.Create(intVal));
                    break;
                }
                case ProtobufSchemas.FieldType.StringMap or ProtobufSchemas.FieldType.BytesMap or ProtobufSchemas.FieldType.QuantityMap when wire == 2:
                {
                    var entry = new Reader(reader.Bytes());
                    string key = "";
                    JsonNode? value = JsonValue.Create("");
                    while (!entry.AtEnd)
                    {
                        var (n, w) = entry.Tag();
                        if (n == 1 && w == 2) key = Encoding.UTF8.GetString(entry.Bytes());
                        else if (n == 2 && w == 2)
                            value = f.Type switch
                            {
                                ProtobufSchemas.FieldType.BytesMap => JsonValue.Create(Convert.ToBase64String(entry.Bytes())),
                                ProtobufSchemas.FieldType.QuantityMap => JsonValue.Create(QuantityString(entry.Bytes())),
                                _ => JsonValue.Create(Encoding.UTF8.GetString(entry.Bytes())),
                            };
                        else entry.Skip(w);
                    }
                    if (obj[f.Name] is not JsonObject map) obj[f.Name] = map = new JsonObject();
                    map[key] = value;
                    break;
                }
                default:
                    throw new FormatException($"protobuf field {number} ({f.Name}) of {schema.Name} has wire type {wire}, which does not fit its type {f.Type}");
            }
        }
        return obj;
    }

    /// <summary>resource.Quantity's protobuf form: a message whose field 1 is the canonical string.</summary>
    private static string QuantityString(ReadOnlySpan<byte> data)
    {
        var q = new Reader(data);
        var text = "";
        while (!q.AtEnd)
        {
            var (n, w) = q.Tag();
            if (n == 1 && w == 2) text = Encoding.UTF8.GetString(q.Bytes());
            else q.Skip(w);
        }
        return text;
    }

    private static void Set(JsonObject obj, ProtobufSchemas.Field f, JsonNode? value)
    {
        if (!f.Repeated)
        {
            obj[f.Name] = value;
            return;
        }
        if (obj[f.Name] is not JsonArray a) obj[f.Name] = a = new JsonArray();
        a.Add(value);
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public readonly bool AtEnd => _pos >= _data.Length;

        public ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= _data.Length) throw new FormatException("truncated varint");
                var b = _data[_pos++];
                result |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0) return result;
            }
            throw new FormatException("varint too long");
        }

        public (int Field, int Wire) Tag()
        {
            var tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var len = (int)Varint();
            if (len < 0 || _pos + len > _data.Length) throw new FormatException("truncated field");
            var s = _data.Slice(_pos, len);
            _pos += len;
            return s;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: _pos += 8; break;
                case 2: Bytes(); break;
                case 5: _pos += 4; break;
                default: throw new FormatException($"unsupported wire type {wire}");
            }
            if (_pos > _data.Length) throw new FormatException("truncated field");
        }
    }
}
