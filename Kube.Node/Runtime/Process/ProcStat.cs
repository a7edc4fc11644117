using System.Globalization;

namespace Kube.Node.Runtime.Process;

/// <summary>Reads /proc/&lt;pid&gt;/stat: the process state and its start time, which tell our process from a reused pid.</summary>
internal static class ProcStat
{
    /// <summary>The state letter (R, S, Z, ...) and start time in clock ticks since boot, or null when the pid does not exist.</summary>
    public static (char State, long StartTicks)? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) may contain spaces and parentheses: fields resume after the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
        if (fields.Length < 20 || !long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }

        return (fields[0][0], start);
    }

    /// <summary>The process group id (field 5), or null when the pid does not exist.</summary>
    public static int? ProcessGroup(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 2 && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pgrp) ? pgrp : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>True when the pid exists, is not a zombie, and started at <paramref name="startTicks"/>.</summary>
    public static bool IsAlive(int pid, long startTicks) =>
        Read(pid) is { } s && s.State is not ('Z' or 'X') && s.StartTicks == startTicks;
}
