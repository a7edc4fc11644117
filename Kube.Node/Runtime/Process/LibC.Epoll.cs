using System.Runtime.InteropServices;

namespace Kube.Node.Runtime.Process;

// epoll and FIFOs, for the container output pump.
internal static partial class LibC
{
    public const int O_NONBLOCK = 0x800;
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x1;
    public const int EEXIST = 17;

    /// <summary>sizeof(struct epoll_event): packed (12 bytes) on x86_64, naturally aligned (16) elsewhere.</summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>The offset of epoll_event's data field.</summary>
    public static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [LibraryImport(Lib, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Lib, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static unsafe partial int EpollCtl(int epfd, int op, int fd, byte* ev);

    [LibraryImport(Lib, EntryPoint = "epoll_wait", SetLastError = true)]
    public static unsafe partial int EpollWait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport(Lib, EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int MkFifo(string path, uint mode);

    [LibraryImport(Lib, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int OpenMode(string path, int flags, uint mode);

    /// <summary>Registers <paramref name="fd"/> for readability with <paramref name="key"/> as its event data.</summary>
    public static unsafe int EpollAdd(int epfd, int fd, ulong key)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = EPOLLIN;
        *(ulong*)(ev + EpollDataOffset) = key;
        return EpollCtl(epfd, EPOLL_CTL_ADD, fd, ev);
    }

    public static unsafe int EpollDelete(int epfd, int fd)
    {
        var ev = stackalloc byte[16];
        return EpollCtl(epfd, EPOLL_CTL_DEL, fd, ev);
    }
}
