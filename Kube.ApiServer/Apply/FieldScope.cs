namespace Kube.ApiServer.Apply;

/// <summary>Which part of an object a manager's fields are taken from.</summary>
internal enum FieldScope
{
    /// <summary>The whole object (kinds without a status subresource).</summary>
    Whole,

    /// <summary>The main endpoint of a kind with a status subresource: everything but status.</summary>
    MainIgnoringStatus,

    /// <summary>The status subresource: only status.</summary>
    StatusOnly,
}
