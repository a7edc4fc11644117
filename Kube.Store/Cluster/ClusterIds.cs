using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Kube.Store.Cluster;

/// <summary>Member and cluster ids derived as etcd derives them, so a cluster started with the same flags gets the same ids.</summary>
internal static class ClusterIds
{
    /// <summary>
    /// etcd's member id: SHA-1 over the sorted peer URLs joined with nothing, then the cluster token, then (for a member added at
    /// run time) the Unix time in seconds; the first 8 bytes big-endian.
    /// </summary>
    public static ulong MemberId(IEnumerable<string> peerUrls, string token, DateTimeOffset? addedAt = null)
    {
        var sorted = peerUrls.Order(StringComparer.Ordinal);
        var text = string.Concat(sorted) + token + (addedAt is { } t ? t.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) : "");
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(text));
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    /// <summary>etcd's cluster id: SHA-1 over the sorted member ids (8 bytes big-endian each); the first 8 bytes big-endian.</summary>
    public static ulong ClusterId(IEnumerable<ulong> memberIds)
    {
        var ids = memberIds.Order().ToArray();
        var bytes = new byte[8 * ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8 * i), ids[i]);
        }
        return BinaryPrimitives.ReadUInt64BigEndian(SHA1.HashData(bytes));
    }

    /// <summary>
    /// Parses etcd's <c>--initial-cluster</c> (<c>name=url,name=url,...</c>; a name may repeat to give a member several URLs)
    /// into members in order of first appearance. Throws <see cref="ArgumentException"/> naming the flag on a malformed entry.
    /// </summary>
    public static IReadOnlyList<(string Name, IReadOnlyList<string> PeerUrls)> ParseInitialCluster(string initialCluster)
    {
        var result = new List<(string Name, List<string> Urls)>();
        foreach (var part in initialCluster.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == part.Length - 1 || !Uri.TryCreate(part[(eq + 1)..], UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                throw new ArgumentException($"--initial-cluster: '{part}' is not name=http://host:port.");
            }
            var name = part[..eq];
            var urlText = part[(eq + 1)..].TrimEnd('/');
            var existing = result.FindIndex(m => m.Name == name);
            if (existing >= 0)
            {
                result[existing].Urls.Add(urlText);
            }
            else
            {
                result.Add((name, [urlText]));
            }
        }
        return result.Select(m => (m.Name, (IReadOnlyList<string>)m.Urls)).ToList();
    }
}
