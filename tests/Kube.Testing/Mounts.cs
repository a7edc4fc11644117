using System.Diagnostics;

namespace Kube.Testing;

/// <summary>Mount points tests leave behind (containerd's overlays, a runtime's bind mounts).</summary>
public static class Mounts
{
    /// <summary>Lazily unmounts every mount point at or under <paramref name="dir"/>, deepest first, in this process's mount namespace.</summary>
    public static void UnmountUnder(string dir)
    {
        var full = Path.GetFullPath(dir).TrimEnd('/');
        var mounts = File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
            .Where(m => m == full || m.StartsWith(full + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.Length)
            .ToList();
        foreach (var m in mounts)
        {
            using var p = Process.Start("umount", ["-l", m]);
            if (!p.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                p.Kill();
            }
        }
    }
}
