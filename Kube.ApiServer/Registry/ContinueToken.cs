using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Kube.ApiServer.Registry;

/// <summary>The opaque list continue token: the list's revision and the next key, base64 of a small JSON document.</summary>
internal static class ContinueToken
{
    public static string Encode(long revision, byte[] nextKey)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["v"] = "meta.k8s.io/v1",
            ["rv"] = revision,
            ["start"] = Convert.ToBase64String(nextKey),
        });
        return Base64Url.EncodeToString(json);
    }

    public static (long Revision, byte[] Start) Decode(string token)
    {
        try
        {
            var json = Base64Url.DecodeFromChars(token);
            using var doc = JsonDocument.Parse(json);
            var rev = doc.RootElement.GetProperty("rv").GetInt64();
            var start = Convert.FromBase64String(doc.RootElement.GetProperty("start").GetString() ?? "");
            if (rev <= 0 || start.Length == 0) throw new FormatException("empty");
            return (rev, start);
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw Errors.BadRequest($"continue key is not valid: {Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(e.Message))}");
        }
    }
}
