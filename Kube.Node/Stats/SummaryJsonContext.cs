using System.Text.Json.Serialization;

namespace Kube.Node.Stats;

/// <summary>
/// Source-generated JSON for the Summary API document (times as RFC 3339 in UTC, absent figures omitted), so that a node agent
/// compiled with NativeAOT (kube-node) serves <c>/stats/summary</c> without reflection-generated code over its value types.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Converters = [typeof(Summary.Rfc3339Converter)])]
[JsonSerializable(typeof(Summary))]
internal sealed partial class SummaryJsonContext : JsonSerializerContext;
