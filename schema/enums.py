"""The domain vocabularies as GraphQL enums (UPPER_CASE values, same names as SPEC.md)."""

from __future__ import annotations

import strawberry

from domain import enums

SubjectKind = strawberry.enum(enums.SubjectKind, description="信息主体类别: natural person or organisation.")
SubjectStatus = strawberry.enum(enums.SubjectStatus, description="Whether the subject still exists.")
Category = strawberry.enum(enums.Category, description="信息类别 (HC-9): BASIC 基本, GOOD 良好, BAD 失信.")
Visibility = strawberry.enum(enums.Visibility, description="公开属性 (HC-20, XZ-15).")
Severity = strawberry.enum(enums.Severity, description="Grade of a bad record (credit repair measures).")
RecordStatus = strawberry.enum(enums.RecordStatus, description="Lifecycle status of a record (SPEC 3.2, 3.4).")
SubmissionChannel = strawberry.enum(enums.SubmissionChannel, description="How a record came in (XZ-12).")
DepartmentKind = strawberry.enum(enums.DepartmentKind, description="What a department is.")
Purpose = strawberry.enum(enums.Purpose, description="Why non-public information is read (HC-23, XZ-18).")
RecordFamily = strawberry.enum(enums.RecordFamily, description="The shape of a record's content.")
