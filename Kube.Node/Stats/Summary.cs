using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kube.Node.Stats;

/// <summary>The kubelet Summary API's document (<c>GET /stats/summary</c>, stats/v1alpha1): the node and its pods.</summary>
public sealed record Summary
{
    [JsonPropertyName("node")]
    public required NodeStats Node { get; init; }

    [JsonPropertyName("pods")]
    public IReadOnlyList<PodStats> Pods { get; init; } = [];

    /// <summary>The JSON upstream's kubelet serves (times as RFC 3339 in UTC, absent figures omitted).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, SummaryJsonContext.Default.Summary);

    /// <summary>Reads a Summary document (ours or upstream's).</summary>
    public static Summary? FromJson(string json) => JsonSerializer.Deserialize(json, SummaryJsonContext.Default.Summary);

    internal sealed class Rfc3339Converter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.Parse(reader.GetString() ?? "", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }
}
