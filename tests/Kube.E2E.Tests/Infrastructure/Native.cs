using System.Runtime.InteropServices;

namespace Kube.E2E.Tests.Infrastructure;

internal static partial class Native
{
    public const int SIGTERM = 15;
    public const int SIGKILL = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int sig);
}
