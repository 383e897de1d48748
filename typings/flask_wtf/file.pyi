from werkzeug.datastructures import FileStorage
from wtforms import FileField as _FileField
from wtforms.fields.core import Field
from wtforms.form import BaseForm
from wtforms.validators import DataRequired

class FileField(_FileField):
    data: FileStorage | None

class FileRequired(DataRequired):
    def __call__(self, form: BaseForm, field: Field) -> None: ...
