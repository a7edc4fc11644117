using System.Runtime.InteropServices;

namespace Kube.Node.Runtime.Process;

/// <summary>
/// Starts a host process with posix_spawnp: its own session and process group (POSIX_SPAWN_SETSID), default
/// signal dispositions and an empty signal mask, stdin from /dev/null, stdout and stderr appended to one log file,
/// and a working directory. No shell is involved: the process's command line is exactly <c>argv</c>.
/// </summary>
internal static class ProcessSpawner
{
    /// <summary>Returns the new pid, or throws <see cref="ProcessSpawnException"/> with the errno when the spawn fails.</summary>
    public static int Spawn(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory, string logPath) =>
        SpawnCore(argv, env, workingDirectory, actions =>
        {
            Check(LibC.FileActionsAddOpen(actions, 0, "/dev/null", LibC.O_RDONLY, 0), "addopen stdin");
            AddLogOutput(actions, logPath);
        });

    /// <summary>As <see cref="Spawn"/>, with the descriptor <paramref name="stdinFd"/> of this process (a pipe's read end) as standard input.</summary>
    public static int SpawnWithInput(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory, int stdinFd, string logPath) =>
        SpawnCore(argv, env, workingDirectory, actions =>
        {
            Check(LibC.FileActionsAddDup2(actions, stdinFd, 0), "adddup2 stdin");
            AddLogOutput(actions, logPath);
        });

    /// <summary>
    /// Starts a process whose stdout and stderr are the FIFOs <paramref name="stdoutFifo"/> and <paramref name="stderrFifo"/>, each
    /// opened read-write (so the process never gets SIGPIPE while no reader is there); stdin is <paramref name="stdinFd"/>, or /dev/null when -1.
    /// </summary>
    public static int SpawnWithFifos(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory, int stdinFd, string stdoutFifo, string stderrFifo) =>
        SpawnCore(argv, env, workingDirectory, actions =>
        {
            Check(stdinFd < 0 ? LibC.FileActionsAddOpen(actions, 0, "/dev/null", LibC.O_RDONLY, 0) : LibC.FileActionsAddDup2(actions, stdinFd, 0), "stdin");
            Check(LibC.FileActionsAddOpen(actions, 1, stdoutFifo, LibC.O_RDWR, 0), "addopen stdout");
            Check(LibC.FileActionsAddOpen(actions, 2, stderrFifo, LibC.O_RDWR, 0), "addopen stderr");
        });

    private static void AddLogOutput(IntPtr actions, string logPath)
    {
        Check(LibC.FileActionsAddOpen(actions, 1, logPath, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_APPEND, 0x1a4 /* 0644 */), "addopen stdout");
        Check(LibC.FileActionsAddDup2(actions, 1, 2), "adddup2 stderr");
    }

    /// <summary>
    /// Starts a process on the terminal <paramref name="terminalPath"/> (a pty's slave): stdin, stdout and stderr are the
    /// terminal, and it becomes the new session's controlling terminal. glibc's posix_spawn applies POSIX_SPAWN_SETSID
    /// before the file actions, and a session leader without a controlling terminal that opens a terminal without
    /// O_NOCTTY acquires it (Linux), so the child leads a session whose controlling terminal is this pty.
    /// </summary>
    public static int SpawnOnTerminal(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory, string terminalPath) =>
        SpawnCore(argv, env, workingDirectory, actions =>
        {
            Check(LibC.FileActionsAddOpen(actions, 0, terminalPath, LibC.O_RDWR, 0), "addopen terminal");
            Check(LibC.FileActionsAddDup2(actions, 0, 1), "adddup2 stdout");
            Check(LibC.FileActionsAddDup2(actions, 0, 2), "adddup2 stderr");
        });

    private static int SpawnCore(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory, Action<IntPtr> stdio)
    {
        if (argv.Count == 0)
        {
            throw new ArgumentException("argv must not be empty", nameof(argv));
        }

        var fileActions = Marshal.AllocHGlobal(LibC.FileActionsSize);
        var attr = Marshal.AllocHGlobal(LibC.SpawnAttrSize);
        var sigDefault = Marshal.AllocHGlobal(LibC.SigSetSize);
        var sigMask = Marshal.AllocHGlobal(LibC.SigSetSize);
        var argvBlock = IntPtr.Zero;
        var envBlock = IntPtr.Zero;
        var strings = new List<IntPtr>();
        var actionsInit = false;
        var attrInit = false;
        try
        {
            Check(LibC.FileActionsInit(fileActions), "posix_spawn_file_actions_init");
            actionsInit = true;
            Check(LibC.SpawnAttrInit(attr), "posix_spawnattr_init");
            attrInit = true;

            stdio(fileActions);
            Check(LibC.FileActionsAddChdir(fileActions, workingDirectory), "addchdir_np");

            // Signals ignored by this process (.NET ignores SIGPIPE) would stay ignored across exec: reset them.
            LibC.SigEmptySet(sigDefault);
            for (var sig = 1; sig < 32; sig++)
            {
                if (sig is not (LibC.SIGKILL or LibC.SIGSTOP))
                {
                    LibC.SigAddSet(sigDefault, sig);
                }
            }

            LibC.SigEmptySet(sigMask);
            Check(LibC.SpawnAttrSetSigDefault(attr, sigDefault), "posix_spawnattr_setsigdefault");
            Check(LibC.SpawnAttrSetSigMask(attr, sigMask), "posix_spawnattr_setsigmask");
            Check(LibC.SpawnAttrSetFlags(attr, (short)(LibC.POSIX_SPAWN_SETSID | LibC.POSIX_SPAWN_SETSIGDEF | LibC.POSIX_SPAWN_SETSIGMASK)), "posix_spawnattr_setflags");

            argvBlock = StringArray(argv, strings);
            envBlock = StringArray(env.Select(kv => kv.Key + "=" + kv.Value).ToList(), strings);

            var rc = LibC.PosixSpawnp(out var pid, argv[0], fileActions, attr, argvBlock, envBlock);
            if (rc != 0)
            {
                throw new ProcessSpawnException(rc, argv[0]);
            }

            return pid;
        }
        finally
        {
            if (actionsInit)
            {
                LibC.FileActionsDestroy(fileActions);
            }

            if (attrInit)
            {
                LibC.SpawnAttrDestroy(attr);
            }

            foreach (var s in strings)
            {
                Marshal.FreeCoTaskMem(s);
            }

            Marshal.FreeHGlobal(fileActions);
            Marshal.FreeHGlobal(attr);
            Marshal.FreeHGlobal(sigDefault);
            Marshal.FreeHGlobal(sigMask);
            if (argvBlock != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(argvBlock);
            }

            if (envBlock != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(envBlock);
            }
        }
    }

    private static IntPtr StringArray(IReadOnlyList<string> items, List<IntPtr> owned)
    {
        var block = Marshal.AllocHGlobal(IntPtr.Size * (items.Count + 1));
        for (var i = 0; i < items.Count; i++)
        {
            var p = Marshal.StringToCoTaskMemUTF8(items[i]);
            owned.Add(p);
            Marshal.WriteIntPtr(block, i * IntPtr.Size, p);
        }

        Marshal.WriteIntPtr(block, items.Count * IntPtr.Size, IntPtr.Zero);
        return block;
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0)
        {
            throw new InvalidOperationException($"{what} failed with errno {rc}");
        }
    }
}
