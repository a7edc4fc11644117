namespace Kube.Controllers.Internal;

internal static class DictionaryExtensions
{
    /// <summary>The value of <paramref name="key"/>, or null when the map is null or lacks it.</summary>
    public static string? ValueOf(this IDictionary<string, string>? map, string key) =>
        map is not null && map.TryGetValue(key, out var v) ? v : null;
}
