using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Kube.Core.Client;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Agent.StaticPods;

/// <summary>
/// Static pods, as upstream's file source and mirror pod manager: every Pod manifest (YAML or JSON) in the static pod
/// directory runs on this node without the API server. The pod is named <c>&lt;name&gt;-&lt;node&gt;</c>, its UID is a
/// hash of the file, the manifest and the node (annotation <c>kubernetes.io/config.hash</c>), and
/// <c>kubernetes.io/config.source</c> is <c>file</c>. Whenever the API is reachable a mirror pod stands for it there:
/// the same pod with <c>kubernetes.io/config.mirror</c> = the hash and an owner reference to the Node. Its status is the
/// static pod's; a deleted mirror pod is created again; a mirror pod whose static pod is gone (or changed) is deleted.
/// </summary>
internal sealed class StaticPodManager(string directory, string nodeName, IKubeClient client, TimeProvider time, ILogger logger)
{
    public const string HashAnnotation = "kubernetes.io/config.hash";
    public const string MirrorAnnotation = "kubernetes.io/config.mirror";
    public const string SourceAnnotation = "kubernetes.io/config.source";
    public const string SeenAnnotation = "kubernetes.io/config.seen";

    private readonly Lock _lock = new();
    private Dictionary<string, V1Pod> _pods = new(StringComparer.Ordinal);
    private string? _nodeUid;

    /// <summary>The directory read.</summary>
    public string Directory => directory;

    /// <summary>The static pods by UID.</summary>
    public IReadOnlyCollection<string> Uids
    {
        get
        {
            lock (_lock)
            {
                return [.. _pods.Keys];
            }
        }
    }

    /// <summary>True for a mirror pod (it is never run; it stands for a static pod).</summary>
    public static bool IsMirror(V1Pod pod) => pod.Metadata?.Annotations?.ContainsKey(MirrorAnnotation) == true;

    /// <summary>The hash of the static pod a mirror pod stands for (annotation kubernetes.io/config.mirror), or null.</summary>
    public static string? MirrorHashOf(V1Pod pod) =>
        pod.Metadata?.Annotations is { } annotations && annotations.TryGetValue(MirrorAnnotation, out var hash) ? hash : null;

    /// <summary>True for a static pod from a file.</summary>
    public static bool IsStatic(V1Pod pod) =>
        pod.Metadata?.Annotations?.TryGetValue(SourceAnnotation, out var source) == true && source == "file" && !IsMirror(pod);

    public V1Pod? Get(string uid)
    {
        lock (_lock)
        {
            return _pods.GetValueOrDefault(uid);
        }
    }

    /// <summary>The static pod a mirror pod of that namespace and name stands for, if any.</summary>
    public string? UidForMirror(string? ns, string? name)
    {
        lock (_lock)
        {
            return _pods.Values.FirstOrDefault(p => p.Metadata.NamespaceProperty == ns && p.Metadata.Name == name)?.Metadata.Uid;
        }
    }

    /// <summary>Re-reads the directory; returns the UIDs that appeared or disappeared (their workers need a sync).</summary>
    public IReadOnlyList<string> Reload()
    {
        var next = new Dictionary<string, V1Pod>(StringComparer.Ordinal);
        if (System.IO.Directory.Exists(directory))
        {
            foreach (var file in System.IO.Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
            {
                var fileName = Path.GetFileName(file);
                if (fileName.StartsWith('.') || fileName.EndsWith('~'))
                {
                    continue;
                }

                try
                {
                    var pod = Parse(file, File.ReadAllText(file));
                    if (next.Values.Any(p => p.Metadata.Name == pod.Metadata.Name && p.Metadata.NamespaceProperty == pod.Metadata.NamespaceProperty))
                    {
                        logger.LogWarning("Static pod manifest {File}: another manifest already defines pod {Namespace}/{Pod}; ignored", file, pod.Metadata.NamespaceProperty, pod.Metadata.Name);
                        continue;
                    }

                    next[pod.Metadata.Uid] = pod;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or YamlDotNet.Core.YamlException or System.Text.Json.JsonException)
                {
                    logger.LogWarning("Static pod manifest {File} is ignored: {Message}", file, ex.Message);
                }
            }
        }

        lock (_lock)
        {
            var changed = next.Keys.Except(_pods.Keys).Concat(_pods.Keys.Except(next.Keys)).ToList();
            foreach (var uid in next.Keys.Intersect(_pods.Keys).ToList())
            {
                next[uid] = _pods[uid];
            }

            foreach (var uid in changed)
            {
                var pod = next.GetValueOrDefault(uid) ?? _pods[uid];
                logger.LogInformation("Static pod {Namespace}/{Pod} ({Uid}) {Change}", pod.Metadata.NamespaceProperty, pod.Metadata.Name, uid, next.ContainsKey(uid) ? "added" : "removed");
            }

            _pods = next;
            return changed;
        }
    }

    /// <summary>Reads one manifest into the static pod it defines (name suffixed, UID and annotations set, bound to this node).</summary>
    internal V1Pod Parse(string file, string text)
    {
        V1Pod pod;
        try
        {
            // KubernetesYaml fails in a NativeAOT program (kube-node): there, the YAML becomes JSON for the agent's source-generated JSON.
            pod = System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported
                ? KubernetesYaml.Deserialize<V1Pod>(text)
                : NodeJson.Deserialize<V1Pod>(Kube.Core.Client.YamlJson.ToJson(text));
        }
        catch (Exception ex) when (ex is not IOException)
        {
            throw new InvalidDataException($"not a Pod manifest: {ex.Message}", ex);
        }

        if (pod is null || pod.Kind is not (null or "Pod") || pod.Metadata?.Name is not { Length: > 0 } || pod.Spec?.Containers is not { Count: > 0 })
        {
            throw new InvalidDataException("a static pod manifest must be a Pod with metadata.name and at least one container");
        }

        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{nodeName}\n{Path.GetFullPath(file)}\n{text}")))[..32].ToLowerInvariant();
        pod.ApiVersion = "v1";
        pod.Kind = "Pod";
        pod.Metadata.Name = $"{pod.Metadata.Name}-{nodeName}";
        pod.Metadata.NamespaceProperty = string.IsNullOrEmpty(pod.Metadata.NamespaceProperty) ? "default" : pod.Metadata.NamespaceProperty;
        pod.Metadata.Uid = hash;
        pod.Metadata.CreationTimestamp = time.GetUtcNow().UtcDateTime;
        pod.Metadata.Annotations ??= new Dictionary<string, string>();
        pod.Metadata.Annotations[HashAnnotation] = hash;
        pod.Metadata.Annotations[SourceAnnotation] = "file";
        pod.Metadata.Annotations[SeenAnnotation] = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        pod.Metadata.Annotations.Remove(MirrorAnnotation);
        pod.Spec.NodeName = nodeName;
        pod.Spec.RestartPolicy ??= "Always";
        // As upstream: static pods tolerate every NoExecute taint, so they are not evicted from their own node.
        pod.Spec.Tolerations ??= [];
        if (!pod.Spec.Tolerations.Any(t => t.OperatorProperty == "Exists" && t.Effect == "NoExecute" && t.Key is null))
        {
            pod.Spec.Tolerations.Add(new V1Toleration { OperatorProperty = "Exists", Effect = "NoExecute" });
        }

        pod.Status = null;
        return pod;
    }

    /// <summary>
    /// Makes the API's mirror pod match the static pod: created when missing, re-created when deleted or stale, its
    /// status set to <paramref name="status"/>. Returns when to try again when the API could not be reached.
    /// </summary>
    public async Task<TimeSpan?> SyncMirrorAsync(V1Pod staticPod, V1PodStatus status, V1Pod? mirror, CancellationToken cancellationToken)
    {
        var hash = staticPod.Metadata.Uid;
        if (mirror is not null && !IsMirror(mirror))
        {
            logger.LogWarning("Static pod {Namespace}/{Pod} has no mirror pod: a pod of that name that is not a mirror pod exists in the API", staticPod.Metadata.NamespaceProperty, staticPod.Metadata.Name);
            return null;
        }

        try
        {
            if (mirror is not null && (mirror.Metadata.DeletionTimestamp is not null || MirrorHashOf(mirror) != hash))
            {
                await DeleteMirrorAsync(mirror, cancellationToken).ConfigureAwait(false);
                mirror = null;
            }

            if (mirror is null)
            {
                mirror = await CreateMirrorAsync(staticPod, cancellationToken).ConfigureAwait(false);
            }

            if (NodeJson.Serialize(mirror.Status ?? new V1PodStatus()) != NodeJson.Serialize(status))
            {
                var copy = NodeJson.Clone(mirror);
                copy.Status = status;
                await client.UpdateStatusAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return null;
        }
        catch (Exception ex) when (ex is KubeApiException or HttpRequestException or IOException)
        {
            logger.LogInformation("Mirror pod of static pod {Namespace}/{Pod}: {Message}; retrying", staticPod.Metadata.NamespaceProperty, staticPod.Metadata.Name, ex.Message);
            return TimeSpan.FromSeconds(2);
        }
    }

    /// <summary>Deletes (at once) a mirror pod whose static pod is gone or changed; true when it was orphaned.</summary>
    public async Task<bool> DeleteIfOrphanedAsync(V1Pod mirror, CancellationToken cancellationToken)
    {
        var hash = MirrorHashOf(mirror);
        lock (_lock)
        {
            if (hash is not null && _pods.TryGetValue(hash, out var staticPod) && staticPod.Metadata.Name == mirror.Metadata.Name
                && staticPod.Metadata.NamespaceProperty == mirror.Metadata.NamespaceProperty)
            {
                return false;
            }
        }

        logger.LogInformation("Deleting mirror pod {Namespace}/{Pod}: its static pod is gone", mirror.Metadata.NamespaceProperty, mirror.Metadata.Name);
        await DeleteMirrorAsync(mirror, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task DeleteMirrorAsync(V1Pod mirror, CancellationToken cancellationToken)
    {
        try
        {
            await client.DeleteAsync<V1Pod>(mirror.Metadata.Name, mirror.Metadata.NamespaceProperty,
                new DeleteOptions { GracePeriodSeconds = 0, PreconditionUid = mirror.Metadata.Uid }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NotFoundException or ConflictException)
        {
        }
    }

    private async Task<V1Pod> CreateMirrorAsync(V1Pod staticPod, CancellationToken cancellationToken)
    {
        _nodeUid ??= (await client.GetAsync<V1Node>(nodeName, cancellationToken: cancellationToken).ConfigureAwait(false)).Metadata.Uid;
        var mirror = NodeJson.Clone(staticPod);
        mirror.Metadata.Uid = null;
        mirror.Metadata.ResourceVersion = null;
        mirror.Metadata.CreationTimestamp = null;
        mirror.Metadata.Annotations[MirrorAnnotation] = staticPod.Metadata.Uid;
        mirror.Metadata.OwnerReferences =
        [
            new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = nodeName, Uid = _nodeUid, Controller = true },
        ];
        mirror.Status = null;
        try
        {
            var created = await client.CreateAsync(mirror, cancellationToken: cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Created mirror pod {Namespace}/{Pod} for static pod {Uid}", created.Metadata.NamespaceProperty, created.Metadata.Name, staticPod.Metadata.Uid);
            return created;
        }
        catch (AlreadyExistsException)
        {
            // A mirror pod of an older manifest (or a user's pod of that name): the next sync sees it and replaces a stale mirror.
            return await client.GetAsync<V1Pod>(mirror.Metadata.Name, mirror.Metadata.NamespaceProperty, cancellationToken).ConfigureAwait(false);
        }
    }
}
