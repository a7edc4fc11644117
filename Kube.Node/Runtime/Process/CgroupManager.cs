using System.Globalization;

namespace Kube.Node.Runtime.Process;

/// <summary>
/// Resource limits for process-runtime containers through cgroups: v2 (unified: memory.max, cpu.max) when the
/// hierarchy at the root has the memory and cpu controllers, else v1 (memory.limit_in_bytes, cpu.cfs_quota_us), else
/// none with a reason. A container with limits gets its own group under <c>kube-node-&lt;runtime id&gt;</c>; its process
/// joins it before exec (a shell writes its own pid to cgroup.procs), so every child is inside too.
/// </summary>
internal sealed class CgroupManager
{
    private const long CpuPeriodMicros = 100_000;
    private readonly string _root;
    private readonly string _group;
    private readonly int _version;

    private CgroupManager(string root, string group, int version, string? unavailable)
    {
        _root = root;
        _group = group;
        _version = version;
        UnavailableReason = unavailable;
    }

    /// <summary>Why limits cannot be enforced on this machine, or null when they can.</summary>
    public string? UnavailableReason { get; }

    /// <summary>"cgroup v2", "cgroup v1" or "none".</summary>
    public string Description => UnavailableReason is null ? $"cgroup v{_version}" : "none";

    /// <summary>Finds out what the machine offers, creating the runtime's parent groups.</summary>
    public static CgroupManager Detect(string root, string runtimeId)
    {
        var group = $"kube-node-{runtimeId}";
        try
        {
            var controllers = Path.Combine(root, "cgroup.controllers");
            if (File.Exists(controllers))
            {
                var available = File.ReadAllText(controllers).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (!available.Contains("memory") || !available.Contains("cpu"))
                {
                    return new CgroupManager(root, group, 2, $"the cgroup v2 hierarchy at {root} lacks the memory or cpu controller (has: {string.Join(' ', available)})");
                }

                File.WriteAllText(Path.Combine(root, "cgroup.subtree_control"), "+memory +cpu");
                var parent = Path.Combine(root, group);
                Directory.CreateDirectory(parent);
                File.WriteAllText(Path.Combine(parent, "cgroup.subtree_control"), "+memory +cpu");
                return new CgroupManager(root, group, 2, null);
            }

            if (File.Exists(Path.Combine(root, "memory", "memory.limit_in_bytes")) && File.Exists(Path.Combine(root, "cpu", "cpu.cfs_quota_us")))
            {
                Directory.CreateDirectory(Path.Combine(root, "memory", group));
                Directory.CreateDirectory(Path.Combine(root, "cpu", group));
                return new CgroupManager(root, group, 1, null);
            }

            return new CgroupManager(root, group, 0, $"no cgroup hierarchy with the memory and cpu controllers is mounted at {root}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new CgroupManager(root, group, 0, $"cgroups at {root} cannot be written: {ex.Message}");
        }
    }

    /// <summary>Creates the container's groups with the limits; returns their directories (empty when nothing is to be limited or limits are unavailable).</summary>
    public IReadOnlyList<string> Create(string containerId, long? memoryLimitBytes, long? cpuLimitMillicores)
    {
        if (UnavailableReason is not null || (memoryLimitBytes is null && cpuLimitMillicores is null))
        {
            return [];
        }

        var quota = cpuLimitMillicores is { } m ? Math.Max(1000, m * CpuPeriodMicros / 1000) : (long?)null;
        if (_version == 2)
        {
            var dir = Path.Combine(_root, _group, containerId);
            Directory.CreateDirectory(dir);
            if (memoryLimitBytes is { } mem)
            {
                File.WriteAllText(Path.Combine(dir, "memory.max"), mem.ToString(CultureInfo.InvariantCulture));
                TryWrite(Path.Combine(dir, "memory.swap.max"), "0");
            }

            if (quota is { } q)
            {
                File.WriteAllText(Path.Combine(dir, "cpu.max"), $"{q} {CpuPeriodMicros}");
            }

            return [dir];
        }

        var memoryDir = Path.Combine(_root, "memory", _group, containerId);
        var cpuDir = Path.Combine(_root, "cpu", _group, containerId);
        Directory.CreateDirectory(memoryDir);
        Directory.CreateDirectory(cpuDir);
        if (memoryLimitBytes is { } bytes)
        {
            File.WriteAllText(Path.Combine(memoryDir, "memory.limit_in_bytes"), bytes.ToString(CultureInfo.InvariantCulture));
        }

        if (quota is { } cfs)
        {
            File.WriteAllText(Path.Combine(cpuDir, "cpu.cfs_period_us"), CpuPeriodMicros.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(cpuDir, "cpu.cfs_quota_us"), cfs.ToString(CultureInfo.InvariantCulture));
        }

        return [memoryDir, cpuDir];
    }

    /// <summary>The argv that joins <paramref name="paths"/> and then execs <paramref name="argv"/> (same pid, same command line).</summary>
    public static List<string> Wrap(IReadOnlyList<string> argv, IReadOnlyList<string> paths)
    {
        var script = string.Join(" && ", paths.Select(p => $"echo $$ > '{p.Replace("'", "'\\''", StringComparison.Ordinal)}/cgroup.procs'")) + " && exec \"$@\"";
        return ["/bin/sh", "-c", script, "kube-cgroup", .. argv];
    }

    /// <summary>True when the kernel's OOM killer killed a process in the container's memory group.</summary>
    public static bool WasOomKilled(IReadOnlyList<string> paths)
    {
        foreach (var dir in paths)
        {
            foreach (var file in new[] { "memory.events", "memory.oom_control" })
            {
                try
                {
                    var path = Path.Combine(dir, file);
                    if (!File.Exists(path))
                    {
                        continue;
                    }

                    foreach (var line in File.ReadLines(path))
                    {
                        if (line.StartsWith("oom_kill ", StringComparison.Ordinal) && long.TryParse(line[9..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0)
                        {
                            return true;
                        }
                    }
                }
                catch (IOException)
                {
                }
            }
        }

        return false;
    }

    /// <summary>Removes the container's groups; returns those that could not be removed yet (still holding processes).</summary>
    public static List<string> Remove(IReadOnlyList<string> paths)
    {
        var left = new List<string>();
        foreach (var dir in paths)
        {
            try
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir);
                }
            }
            catch (IOException)
            {
                left.Add(dir);
            }
        }

        return left;
    }

    /// <summary>Removes the runtime's parent groups when they are empty (best effort).</summary>
    public void TryRemoveParents()
    {
        if (UnavailableReason is not null)
        {
            return;
        }

        Remove(_version == 2 ? [Path.Combine(_root, _group)] : [Path.Combine(_root, "memory", _group), Path.Combine(_root, "cpu", _group)]);
    }

    private static void TryWrite(string path, string value)
    {
        try
        {
            File.WriteAllText(path, value);
        }
        catch (IOException)
        {
        }
    }
}
