using System.Text;
using Kube.Core.Resources;

namespace Kube.ApiServer.Storage;

/// <summary>
/// Store keys, as upstream lays them out: <c>/registry/&lt;resource&gt;/&lt;namespace&gt;/&lt;name&gt;</c> for the core
/// group and <c>/registry/&lt;group&gt;/&lt;resource&gt;/...</c> for the others; cluster-scoped kinds have no namespace segment.
/// </summary>
internal static class KeyLayout
{
    public static string Prefix(ResourceType t) =>
        t.Group.Length == 0 ? $"/registry/{t.Plural}/" : $"/registry/{t.Group}/{t.Plural}/";

    public static string ListPrefix(ResourceType t, string? ns) =>
        t.Namespaced && !string.IsNullOrEmpty(ns) ? Prefix(t) + ns + "/" : Prefix(t);

    public static string Key(ResourceType t, string? ns, string name) =>
        t.Namespaced ? Prefix(t) + ns + "/" + name : Prefix(t) + name;

    public static byte[] Bytes(string key) => Encoding.UTF8.GetBytes(key);

    /// <summary>The end of the range of keys that start with <paramref name="prefix"/>.</summary>
    public static byte[] PrefixEnd(byte[] prefix)
    {
        var end = (byte[])prefix.Clone();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }
        return [0];
    }
}
