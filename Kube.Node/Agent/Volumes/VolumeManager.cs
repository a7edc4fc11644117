using System.Text;
using k8s.Models;
using Kube.Core.Client;
using Kube.Node.Runtime;
using Kube.Node.Runtime.Process;
using Microsoft.Extensions.Logging;

namespace Kube.Node.Agent.Volumes;

/// <summary>
/// Sets up a pod's volumes under <c>&lt;root&gt;/&lt;pod uid&gt;/&lt;volume&gt;</c> and turns a container's volumeMounts into
/// <see cref="ContainerMount"/>s. emptyDir is a directory (a tmpfs for medium Memory); configMap, secret, downwardAPI and
/// projected volumes are written atomically (<see cref="AtomicVolumeWriter"/>) and rewritten on every sync when their
/// source changed; hostPath is the host path; a PVC resolves to its bound PV's local or hostPath path.
/// </summary>
internal sealed class VolumeManager(IKubeClient client, string root, TimeProvider time, ILogger logger)
{
    /// <summary>
    /// Written in place of a projected serviceAccountToken only when the agent was given no
    /// <see cref="IServiceAccountTokenRequester"/> (<see cref="Tokens"/> null); with one, a failed request fails the volume.
    /// </summary>
    public const string PlaceholderToken = "placeholder-token: this agent was given no IServiceAccountTokenRequester, so it cannot request ServiceAccount tokens";

    /// <summary>The bound ServiceAccount tokens of projected volumes; null when the agent cannot request tokens.</summary>
    public ServiceAccountTokenManager? Tokens { get; init; }

    private const int DefaultMode = 420; // 0644

    public string PodDir(string uid) => Path.Combine(root, uid);

    /// <summary>Sets up (or refreshes) every volume of the pod; returns volume name → host path. Throws <see cref="VolumeSetupException"/>.</summary>
    public async Task<IReadOnlyDictionary<string, string>> SetUpAsync(V1Pod pod, string? podIp, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var ns = pod.Metadata.NamespaceProperty ?? "default";
        foreach (var v in pod.Spec.Volumes ?? [])
        {
            var dir = Path.Combine(PodDir(pod.Metadata.Uid), v.Name);
            if (v.EmptyDir is { } empty)
            {
                Directory.CreateDirectory(dir);
                if (empty.Medium == "Memory" && !IsMountPoint(dir))
                {
                    var size = empty.SizeLimit is { } limit ? $"size={limit.ToInt64()}" : null;
                    if (LibC.Mount("tmpfs", dir, "tmpfs", 0, size) != 0)
                    {
                        throw new VolumeSetupException($"volume {v.Name}: mounting a tmpfs for emptyDir medium Memory failed with errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
                    }
                }

                result[v.Name] = dir;
            }
            else if (v.HostPath is { } hostPath)
            {
                var type = hostPath.Type ?? "";
                if (type == "DirectoryOrCreate")
                {
                    Directory.CreateDirectory(hostPath.Path);
                }
                else if (type == "FileOrCreate" && !File.Exists(hostPath.Path))
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(hostPath.Path)!);
                    await File.WriteAllBytesAsync(hostPath.Path, [], cancellationToken).ConfigureAwait(false);
                }
                else if ((type == "Directory" && !Directory.Exists(hostPath.Path)) || (type == "File" && !File.Exists(hostPath.Path)) || (type != "" && !Path.Exists(hostPath.Path)))
                {
                    throw new VolumeSetupException($"volume {v.Name}: hostPath type check failed: {hostPath.Path} is not a {type}");
                }

                result[v.Name] = hostPath.Path;
            }
            else if (v.ConfigMap is { } cm)
            {
                var files = new Dictionary<string, (byte[], int)>(StringComparer.Ordinal);
                await AddConfigMapAsync(files, ns, cm.Name, cm.Items, cm.DefaultMode ?? DefaultMode, cm.Optional == true, v.Name, cancellationToken).ConfigureAwait(false);
                result[v.Name] = Write(dir, files, pod, v.Name);
            }
            else if (v.Secret is { } secret)
            {
                var files = new Dictionary<string, (byte[], int)>(StringComparer.Ordinal);
                await AddSecretAsync(files, ns, secret.SecretName, secret.Items, secret.DefaultMode ?? DefaultMode, secret.Optional == true, v.Name, cancellationToken).ConfigureAwait(false);
                result[v.Name] = Write(dir, files, pod, v.Name);
            }
            else if (v.DownwardAPI is { } downward)
            {
                var files = new Dictionary<string, (byte[], int)>(StringComparer.Ordinal);
                AddDownward(files, pod, podIp, downward.Items, downward.DefaultMode ?? DefaultMode, v.Name);
                result[v.Name] = Write(dir, files, pod, v.Name);
            }
            else if (v.Projected is { } projected)
            {
                var files = new Dictionary<string, (byte[], int)>(StringComparer.Ordinal);
                var mode = projected.DefaultMode ?? DefaultMode;
                foreach (var source in projected.Sources ?? [])
                {
                    if (source.ConfigMap is { } pcm)
                    {
                        // As upstream, the kube-root-ca.crt ConfigMap of the ServiceAccount admission is required (the volume waits until
                        // the controller manager publishes it), except on an agent that cannot request tokens (a cluster without security).
                        var tolerated = Tokens is null && pcm.Name == "kube-root-ca.crt";
                        await AddConfigMapAsync(files, ns, pcm.Name, pcm.Items, mode, pcm.Optional == true || tolerated, v.Name, cancellationToken).ConfigureAwait(false);
                    }
                    else if (source.Secret is { } ps)
                    {
                        await AddSecretAsync(files, ns, ps.Name, ps.Items, mode, ps.Optional == true, v.Name, cancellationToken).ConfigureAwait(false);
                    }
                    else if (source.DownwardAPI is { } pd)
                    {
                        AddDownward(files, pod, podIp, pd.Items, mode, v.Name);
                    }
                    else if (source.ServiceAccountToken is { } token)
                    {
                        var jwt = Tokens is { } tokens
                            ? await tokens.GetTokenAsync(pod, token, v.Name, cancellationToken).ConfigureAwait(false)
                            : PlaceholderToken;
                        files[token.Path] = (Encoding.UTF8.GetBytes(jwt), mode);
                    }
                }

                result[v.Name] = Write(dir, files, pod, v.Name);
            }
            else if (v.PersistentVolumeClaim is { } claim)
            {
                result[v.Name] = await ResolveClaimAsync(ns, claim.ClaimName, v.Name, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                throw new VolumeSetupException($"volume {v.Name}: this volume type is not supported by this node (supported: emptyDir, configMap, secret, downwardAPI, projected, hostPath, persistentVolumeClaim of local or hostPath PVs)");
            }
        }

        return result;
    }

    /// <summary>The mounts of one container. Throws <see cref="VolumeSetupException"/> for a mount of an unknown volume or a bad subPath.</summary>
    public static List<ContainerMount> MountsFor(V1Pod pod, V1Container spec, IReadOnlyDictionary<string, string> volumes)
    {
        var mounts = new List<ContainerMount>();
        foreach (var vm in spec.VolumeMounts ?? [])
        {
            if (!volumes.TryGetValue(vm.Name, out var host))
            {
                throw new VolumeSetupException($"container {spec.Name}: volumeMount {vm.Name} refers to no volume of the pod");
            }

            var volume = (pod.Spec.Volumes ?? []).First(v => v.Name == vm.Name);
            var alwaysReadOnly = volume.ConfigMap is not null || volume.Secret is not null || volume.DownwardAPI is not null || volume.Projected is not null;
            if (!string.IsNullOrEmpty(vm.SubPath))
            {
                if (vm.SubPath.StartsWith('/') || vm.SubPath.Split('/').Contains(".."))
                {
                    throw new VolumeSetupException($"container {spec.Name}: subPath \"{vm.SubPath}\" must be a relative path without '..'");
                }

                var sub = Path.Combine(host, vm.SubPath);
                if (!Path.Exists(sub))
                {
                    // As upstream: a missing subPath of a writable volume is created as a directory.
                    if (alwaysReadOnly)
                    {
                        throw new VolumeSetupException($"container {spec.Name}: subPath \"{vm.SubPath}\" does not exist in volume {vm.Name}");
                    }

                    Directory.CreateDirectory(sub);
                }

                host = sub;
            }

            mounts.Add(new ContainerMount { ContainerPath = vm.MountPath, HostPath = host, ReadOnly = vm.ReadOnlyProperty == true || alwaysReadOnly });
        }

        return mounts;
    }

    /// <summary>Unmounts the pod's tmpfs volumes and deletes its volume directories (not hostPath or PV data).</summary>
    public void TearDown(string uid)
    {
        Tokens?.Forget(uid);
        var dir = PodDir(uid);
        if (!Directory.Exists(dir))
        {
            return;
        }

        foreach (var mount in MountPointsUnder(dir).OrderByDescending(m => m.Length))
        {
            if (LibC.Umount2(mount, LibC.MNT_DETACH) != 0)
            {
                logger.LogWarning("Unmounting {Mount} failed with errno {Errno}", mount, System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
            }
        }

        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException ex)
        {
            logger.LogWarning(ex, "Could not delete the volumes of pod {Uid}", uid);
        }
    }

    private string Write(string dir, Dictionary<string, (byte[], int)> files, V1Pod pod, string volume)
    {
        if (AtomicVolumeWriter.Write(dir, files, time))
        {
            logger.LogInformation("Wrote volume {Volume} of pod {Namespace}/{Pod} ({Count} files)", volume, pod.Metadata.NamespaceProperty, pod.Metadata.Name, files.Count);
        }

        return dir;
    }

    private async Task AddConfigMapAsync(Dictionary<string, (byte[], int)> files, string ns, string name, IList<V1KeyToPath>? items, int mode, bool optional,
        string volume, CancellationToken cancellationToken)
    {
        V1ConfigMap map;
        try
        {
            map = await client.GetAsync<V1ConfigMap>(name, ns, cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException) when (optional)
        {
            return;
        }
        catch (NotFoundException)
        {
            throw new VolumeSetupException($"MountVolume.SetUp failed for volume \"{volume}\" : configmap \"{name}\" not found");
        }

        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Data ?? new Dictionary<string, string>())
        {
            data[k] = Encoding.UTF8.GetBytes(v);
        }

        foreach (var (k, v) in map.BinaryData ?? new Dictionary<string, byte[]>())
        {
            data[k] = v;
        }

        AddItems(files, data, items, mode, optional, $"configmap \"{name}\"", volume);
    }

    private async Task AddSecretAsync(Dictionary<string, (byte[], int)> files, string ns, string name, IList<V1KeyToPath>? items, int mode, bool optional,
        string volume, CancellationToken cancellationToken)
    {
        V1Secret secret;
        try
        {
            secret = await client.GetAsync<V1Secret>(name, ns, cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException) when (optional)
        {
            return;
        }
        catch (NotFoundException)
        {
            throw new VolumeSetupException($"MountVolume.SetUp failed for volume \"{volume}\" : secret \"{name}\" not found");
        }

        var data = new Dictionary<string, byte[]>(secret.Data ?? new Dictionary<string, byte[]>(), StringComparer.Ordinal);
        foreach (var (k, v) in secret.StringData ?? new Dictionary<string, string>())
        {
            data[k] = Encoding.UTF8.GetBytes(v);
        }

        AddItems(files, data, items, mode, optional, $"secret \"{name}\"", volume);
    }

    private static void AddItems(Dictionary<string, (byte[], int)> files, Dictionary<string, byte[]> data, IList<V1KeyToPath>? items, int mode, bool optional, string what, string volume)
    {
        if (items is null || items.Count == 0)
        {
            foreach (var (k, v) in data)
            {
                files[k] = (v, mode);
            }

            return;
        }

        foreach (var item in items)
        {
            if (!data.TryGetValue(item.Key, out var value))
            {
                if (optional)
                {
                    continue;
                }

                throw new VolumeSetupException($"MountVolume.SetUp failed for volume \"{volume}\" : {what} has no key \"{item.Key}\"");
            }

            files[item.Path] = (value, item.Mode ?? mode);
        }
    }

    private static void AddDownward(Dictionary<string, (byte[], int)> files, V1Pod pod, string? podIp, IList<V1DownwardAPIVolumeFile>? items, int mode, string volume)
    {
        foreach (var item in items ?? [])
        {
            string value;
            if (item.FieldRef is { } field)
            {
                value = field.FieldPath switch
                {
                    "metadata.labels" => Pairs(pod.Metadata.Labels),
                    "metadata.annotations" => Pairs(pod.Metadata.Annotations),
                    _ => EnvExpander.FieldRef(pod, field.FieldPath, podIp)
                        ?? throw new VolumeSetupException($"volume {volume}: unsupported fieldRef \"{field.FieldPath}\""),
                };
            }
            else if (item.ResourceFieldRef is { } resource)
            {
                var container = (pod.Spec.Containers ?? []).FirstOrDefault(c => c.Name == resource.ContainerName) ?? pod.Spec.Containers?.FirstOrDefault();
                var parts = resource.Resource.Split('.');
                var list = parts[0] == "limits" ? container?.Resources?.Limits : container?.Resources?.Requests;
                value = list is not null && parts.Length == 2 && list.TryGetValue(parts[1], out var q) ? q.ToString() : "0";
            }
            else
            {
                continue;
            }

            files[item.Path] = (Encoding.UTF8.GetBytes(value), item.Mode ?? mode);
        }
    }

    private static string Pairs(IDictionary<string, string>? map) =>
        string.Join('\n', (map ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}=\"{kv.Value}\""));

    private async Task<string> ResolveClaimAsync(string ns, string claimName, string volume, CancellationToken cancellationToken)
    {
        V1PersistentVolumeClaim claim;
        try
        {
            claim = await client.GetAsync<V1PersistentVolumeClaim>(claimName, ns, cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            throw new VolumeSetupException($"volume {volume}: persistentvolumeclaim \"{claimName}\" not found");
        }

        if (string.IsNullOrEmpty(claim.Spec?.VolumeName))
        {
            throw new VolumeSetupException($"volume {volume}: persistentvolumeclaim \"{claimName}\" is not bound");
        }

        var pv = await client.GetAsync<V1PersistentVolume>(claim.Spec.VolumeName, null, cancellationToken).ConfigureAwait(false);
        var path = pv.Spec?.Local?.Path ?? pv.Spec?.HostPath?.Path
            ?? throw new VolumeSetupException($"volume {volume}: persistentvolume \"{pv.Metadata.Name}\" is neither local nor hostPath; this node mounts only those");
        Directory.CreateDirectory(path);
        return path;
    }

    private static bool IsMountPoint(string dir) => MountPointsUnder(dir).Contains(Path.GetFullPath(dir).TrimEnd('/'));

    private static List<string> MountPointsUnder(string dir)
    {
        var full = Path.GetFullPath(dir).TrimEnd('/');
        var result = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4)
            {
                var mountPoint = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
                if (mountPoint == full || mountPoint.StartsWith(full + "/", StringComparison.Ordinal))
                {
                    result.Add(mountPoint);
                }
            }
        }

        return result;
    }
}
