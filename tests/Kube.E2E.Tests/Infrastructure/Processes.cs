namespace Kube.E2E.Tests.Infrastructure;

/// <summary>Looks at the machine's processes through /proc, as pgrep -f does (<see cref="ProcessTable"/>).</summary>
internal static class Processes
{
    /// <summary>The live pids whose full command line (arguments joined by spaces) contains <paramref name="pattern"/>.</summary>
    public static IReadOnlyList<int> FindByCommandLine(string pattern) => ProcessTable.Find(pattern);
}
