namespace Kube.E2E.Tests.Infrastructure;

/// <summary>Looks at the machine's processes through /proc, as pgrep -f does.</summary>
internal static class Processes
{
    /// <summary>The pids whose full command line (arguments joined by spaces) contains <paramref name="pattern"/>.</summary>
    public static IReadOnlyList<int> FindByCommandLine(string pattern)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            string cmdline;
            try { cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (cmdline.Replace('\0', ' ').TrimEnd().Contains(pattern, StringComparison.Ordinal)) found.Add(pid);
        }
        return found;
    }
}
