namespace Kube.Node.Tests;

internal static class TestUtil
{
    public static string TempDir(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Polls a condition until it holds or the deadline passes; returns whether it held.</summary>
    public static async Task<bool> PollAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }
    }

    public static Task<bool> PollAsync(Func<bool> condition, TimeSpan timeout) => PollAsync(() => Task.FromResult(condition()), timeout);

    /// <summary>The pids whose command line (arguments joined by spaces) contains <paramref name="text"/>, as pgrep -f does.</summary>
    public static List<int> FindProcesses(string text)
    {
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).TrimEnd('\0').Replace('\0', ' ');
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var state = stat[(stat.LastIndexOf(')') + 2)..][0];
                if (state != 'Z' && cmdline.Contains(text, StringComparison.Ordinal))
                {
                    result.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return result;
    }

    /// <summary>Fields 5 (pgrp) and 6 (session) of /proc/pid/stat.</summary>
    public static (int Pgrp, int Session) GroupOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (int.Parse(fields[2]), int.Parse(fields[3]));
    }

    /// <summary>A random number that makes a command line unique to one test, e.g. "sleep 3600.1234".</summary>
    public static string UniqueSeconds(int whole) => $"{whole}.{Random.Shared.Next(1000, 999999)}";

    public static void KillAll(string text)
    {
        foreach (var pid in FindProcesses(text))
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
    }

    /// <summary>Lazily unmounts every mount point under <paramref name="dir"/> (deepest first) in this process's mount namespace.</summary>
    public static void UnmountUnder(string dir)
    {
        var full = Path.GetFullPath(dir).TrimEnd('/');
        var mounts = File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
            .Where(m => m == full || m.StartsWith(full + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length).ToList();
        foreach (var m in mounts)
        {
            using var p = System.Diagnostics.Process.Start("umount", ["-l", m]);
            p.WaitForExit();
        }
    }
}
