namespace Kube.Core.Selectors;

/// <summary>The operators of a label selector requirement.</summary>
public enum LabelSelectorOperator
{
    /// <summary><c>key=value</c> or <c>key==value</c>: the label is present with that value.</summary>
    Equals,
    /// <summary><c>key!=value</c>: the label is absent or has another value.</summary>
    NotEquals,
    /// <summary><c>key in (a,b)</c>: the label is present with one of the values.</summary>
    In,
    /// <summary><c>key notin (a,b)</c>: the label is absent or has none of the values.</summary>
    NotIn,
    /// <summary><c>key</c>: the label is present.</summary>
    Exists,
    /// <summary><c>!key</c>: the label is absent.</summary>
    DoesNotExist,
    /// <summary><c>key&gt;N</c>: the label is present and its integer value is greater than N.</summary>
    GreaterThan,
    /// <summary><c>key&lt;N</c>: the label is present and its integer value is less than N.</summary>
    LessThan,
}
