using System.Text;

namespace Kube.Node.Runtime.Process;

/// <summary>
/// Builds the command line that starts a container with volumes: <c>unshare --mount --propagation private -- /bin/sh -c
/// SCRIPT kube-mounts ARGV...</c>. The script bind-mounts each volume at its container path inside the new mount
/// namespace and then <c>exec</c>s the container's command, so the container's process keeps the pid that was spawned
/// and its command line is exactly the container's.
/// </summary>
/// <remarks>
/// The host's tree is never changed. A container path whose directory does not exist on the host is made inside the
/// namespace: the nearest existing ancestor is shadowed by a tmpfs that re-binds every original entry (so its contents
/// stay visible) and gets the new mount point. When that ancestor is <c>/</c> itself, the container gets a new root: a
/// tmpfs re-binding every top-level entry, entered with <c>chroot</c> before the command runs.
/// </remarks>
internal static class MountNamespaceScript
{
    private const string Functions = """
        set -e
        kube_fill() {
          for e in "$1"/* "$1"/.[!.]* "$1"/..?*; do
            [ -e "$e" ] || [ -L "$e" ] || continue
            n="$2/${e##*/}"
            if [ -L "$e" ]; then cp -P "$e" "$n"
            elif [ -d "$e" ]; then mkdir -p "$n"; mount --rbind "$e" "$n"
            else : > "$n"; mount --bind "$e" "$n"; fi
          done
        }
        kube_shadow() {
          mkdir -p "$2"
          mount --rbind "$1" "$2"
          mount -t tmpfs -o mode="$(stat -c %a "$1")" tmpfs "$1"
          kube_fill "$2" "$1"
        }

        """;

    /// <summary>The full argv for a container with <paramref name="mounts"/>; <paramref name="stageDir"/> is a per-container directory under the pod's directory.</summary>
    public static List<string> Wrap(IReadOnlyList<string> argv, IReadOnlyList<ContainerMount> mounts, string stageDir, string workingDirectory,
        Func<string, bool>? exists = null)
    {
        exists ??= p => Path.Exists(p);
        var ordered = mounts.OrderBy(m => Normalize(m.ContainerPath).Length).ThenBy(m => m.ContainerPath, StringComparer.Ordinal).ToList();
        var shadows = new SortedSet<string>(Comparer<string>.Create((a, b) => a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b)));
        var newRoot = false;
        foreach (var m in ordered)
        {
            var target = Normalize(m.ContainerPath);
            if (exists(target) || IsUnder(target, ordered.Where(o => o != m && Normalize(o.ContainerPath).Length < target.Length).Select(o => Normalize(o.ContainerPath))))
            {
                continue;
            }

            var ancestor = Path.GetDirectoryName(target) ?? "/";
            while (ancestor != "/" && !exists(ancestor))
            {
                ancestor = Path.GetDirectoryName(ancestor) ?? "/";
            }

            if (ancestor == "/")
            {
                newRoot = true;
            }
            else
            {
                shadows.Add(ancestor);
            }
        }

        var script = new StringBuilder(Functions);
        var root = Path.Combine(stageDir, "root");
        var prefix = newRoot ? root : "";
        if (newRoot)
        {
            script.Append($"mkdir -p {Q(root)}\nmount -t tmpfs -o mode=755 tmpfs {Q(root)}\nkube_fill / {Q(root)}\n");
        }

        var i = 0;
        foreach (var a in shadows)
        {
            script.Append($"kube_shadow {Q(prefix + a)} {Q(Path.Combine(stageDir, $"shadow{i++}"))}\n");
        }

        foreach (var m in ordered)
        {
            var target = prefix + Normalize(m.ContainerPath);
            var source = m.HostPath;
            script.Append($"if [ -d {Q(source)} ]; then mkdir -p {Q(target)}; else mkdir -p {Q(Path.GetDirectoryName(target) ?? "/")}; [ -e {Q(target)} ] || : > {Q(target)}; fi\n");
            script.Append($"mount --bind {Q(source)} {Q(target)}\n");
            if (m.ReadOnly)
            {
                script.Append($"mount -o remount,bind,ro {Q(target)}\n");
            }
        }

        script.Append(newRoot
            ? $"exec chroot {Q(root)} /bin/sh -c 'cd \"$0\" 2>/dev/null || cd /; exec \"$@\"' {Q(workingDirectory)} \"$@\"\n"
            : "exec \"$@\"\n");
        return ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script.ToString(), "kube-mounts", .. argv];
    }

    /// <summary>The argv that runs <paramref name="command"/> inside the mount namespace, root and working directory of process <paramref name="pid"/>.</summary>
    public static List<string> Enter(int pid, IReadOnlyList<string> command) =>
        ["nsenter", "-t", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", "-r", "-w", "--", .. command];

    private static string Normalize(string path)
    {
        var full = Path.GetFullPath(path.StartsWith('/') ? path : "/" + path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    private static bool IsUnder(string path, IEnumerable<string> parents) =>
        parents.Any(p => path.StartsWith(p == "/" ? "/" : p + "/", StringComparison.Ordinal));

    private static string Q(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
