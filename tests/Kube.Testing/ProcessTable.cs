using System.ComponentModel;
using System.Diagnostics;

namespace Kube.Testing;

/// <summary>Looks at the machine's processes through /proc, as pgrep -f and pkill -f do, for one test's own processes.</summary>
public static class ProcessTable
{
    /// <summary>The live (not zombie) pids other than this one whose command line (arguments joined by spaces) contains <paramref name="text"/>.</summary>
    public static List<int> Find(string text)
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
                if (cmdline.Contains(text, StringComparison.Ordinal) && StateOf(pid) != 'Z')
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

    /// <summary>Kills (SIGKILL, with their children) the processes <see cref="Find"/> returns for <paramref name="text"/>.</summary>
    public static void KillAll(string text)
    {
        foreach (var pid in Find(text))
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                p.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or Win32Exception)
            {
                // Gone meanwhile.
            }
        }
    }

    /// <summary>Fields 5 (pgrp) and 6 (session) of /proc/pid/stat.</summary>
    public static (int Pgrp, int Session) GroupOf(int pid)
    {
        var fields = StatFields(pid);
        return (int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The state letter of /proc/pid/stat (R, S, Z, ...).</summary>
    public static char StateOf(int pid) => StatFields(pid)[0][0];

    // The fields after "(comm)": the command name may hold spaces and parentheses, so split after its last ')'.
    private static string[] StatFields(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }
}
